/**
 * The experiment as a DAG: each point of the sweep becomes the chain of docs/EXPERIMENT.md, generation after generation,
 *
 *   gen-d0 → D_0 → train → M_0 → sample → S_0 → [curate] → build-dataset → D_1 → train → M_1 → …,   eval(S_t, D_t) each t,
 *
 * with a curate node only where curation.mode is not none, so the uncurated loop's nodes are the paper's.
 * and every node carries only the params its stage reads. Nodes of different sweep points that read the same
 * params from the same inputs (D_0, M_0, S_0 of every cycle; a λ-free cycle across λ) are the same node to the
 * engine, which runs them once.
 */
import type { NodeSpec } from '../engine/plan/graph.ts';
import { canonicalJson } from '../engine/store/hash.ts';
import type { Json, Stage } from '../engine/stage.ts';
import type { KeyedRuntime } from '../stages/backend.ts';
import buildDataset, { type BuildParams } from '../stages/build-dataset.ts';
import curate, { type CurateParams } from '../stages/curate.ts';
import evaluate from '../stages/eval.ts';
import genD0 from '../stages/gen-d0.ts';
import sample from '../stages/sample.ts';
import train from '../stages/train.ts';
import { rowsTaskSlice, taskSlice } from '../tasks/registry.ts';
import { CYCLES_USING_LAMBDA, sweepCombinations, type ParamsFile, type SweepPoint } from './params.ts';

export function experimentGraph(file: ParamsFile): NodeSpec[] {
  const nodes = new Map<string, NodeSpec>();
  for (const point of sweepCombinations(file)) {
    for (const node of chainOf(point)) {
      // D_0 and the nodes of a λ-free cycle get the same id from several sweep points: they must be the same node.
      const known = nodes.get(node.id);
      if (!known) nodes.set(node.id, node);
      else if (definition(known) !== definition(node)) throw new Error(`graph: two different nodes are named '${node.id}'`);
    }
  }
  return [...nodes.values()];
}

// Without runtime, which is how a node runs, not what it computes (engine/plan/graph.ts).
const definition = (node: NodeSpec): string =>
  canonicalJson({ stage: node.stage.name, params: node.params, inputs: node.inputs, seedBase: node.seedBase ?? null });

type Ref = NodeSpec['inputs'][string];

function chainOf(point: SweepPoint): NodeSpec[] {
  const p = point.params;
  const labels = labelsOf(point);
  const { cycle: _cycle, lambda: _lambda, ...realLabels } = labels;
  // The slice must be the stage's params type (NoInfer: the stage alone decides P), so a mismatch does not compile.
  const node = <P extends Json>(
    stage: Stage<P>, generation: number, params: NoInfer<P>, inputs: Record<string, Ref>,
    named: Record<string, string | number> = labels, inId: boolean = true,
  ): NodeSpec<P> => ({
    id: [stage.name, ...Object.entries(named).map(([k, v]) => `${k}=${v}`), ...(inId ? [`gen=${generation}`] : [])].join('/'),
    stage,
    params,
    inputs,
    tags: { stage: stage.name, ...named, generation },
    seedBase: p.seed,
  });
  const out = (n: NodeSpec, output: string): Ref => ({ node: n.id, output });
  // The model stages run on runtime's backend and kernel set (ctx.runtime); those are in their params slice, and so
  // their key, only with backend_in_key.
  const { backend_in_key, ...runtime } = p.runtime;
  const keyed: KeyedRuntime = { backend: runtime.backend, kernels: runtime.kernels, blas_coretype: runtime.blas_coretype };
  const modelNode = <P extends { [k: string]: Json } & Partial<KeyedRuntime>>(stage: Stage<P>, generation: number, slice: NoInfer<P>, inputs: Record<string, Ref>): NodeSpec<P> => ({
    ...node(stage, generation, backend_in_key ? { ...slice, ...keyed } : slice, inputs),
    runtime,
  });

  // Each node names its task (tasks/registry.ts): nothing for logic, whose slices predate tasks.
  const task = taskSlice(p.task);
  const rowsTask = rowsTaskSlice(p.task);
  const d0 = node(genD0, 0, { n: p.data.n, ...rowsTask }, {}, realLabels, false);
  const nodes: NodeSpec[] = [d0];
  // S_t as the cycle sees it: through a curate node when curation is on.
  const curated = (samples: NodeSpec, t: number): Ref => {
    const { mode, max_copies } = p.curation;
    if (mode === 'none') return out(samples, 'samples');
    const slice: CurateParams = { mode, ...(mode === 'capped' ? { max_copies } : {}), generation: t, ...task };
    const kept = node(curate, t, slice, { samples: out(samples, 'samples') });
    nodes.push(kept);
    return out(kept, 'samples');
  };
  let dataset = out(d0, 'dataset');
  for (let t = 0; t < p.generations; t++) {
    const model = modelNode(train, t, { model: p.model, train: p.train, ...task }, { dataset });
    const samples = modelNode(sample, t, { n: p.data.n, ...p.sample, generation: t, ...task }, { weights: out(model, 'weights') });
    const evaluation = node(evaluate, t, { ...p.eval, generation: t, ...task }, { samples: out(samples, 'samples'), dataset });
    nodes.push(model, samples, evaluation);
    if (t + 1 < p.generations) {
      const build: BuildParams = {
        cycle: p.cycle.name,
        ...(CYCLES_USING_LAMBDA.has(p.cycle.name) ? { lambda: p.cycle.lambda } : {}),
        n: p.data.n,
        generation: t + 1,
        ...rowsTask,
      };
      const next = node(buildDataset, t + 1, build, { d0: out(d0, 'dataset'), dataset, samples: curated(samples, t) });
      nodes.push(next);
      dataset = out(next, 'dataset');
    }
  }
  return nodes;
}

/** A chain's name: its labels as node ids carry them, `cycle=incremental/lambda=0.5/seed=1`. */
export function chainName(point: SweepPoint): string {
  return Object.entries(labelsOf(point)).map(([k, v]) => `${k}=${v}`).join('/');
}

/**
 * What names a chain: its cycle, λ where the cycle reads it, its seed, and any other swept key by its dotted path.
 * These become node ids (`train/cycle=incremental/lambda=0.5/seed=1/gen=3`) and tags for metrics and reports.
 */
function labelsOf({ params: p, assignment }: SweepPoint): Record<string, string | number> {
  const labels: Record<string, string | number> = { cycle: p.cycle.name };
  if (CYCLES_USING_LAMBDA.has(p.cycle.name)) labels.lambda = p.cycle.lambda;
  labels.seed = p.seed;
  for (const [key, value] of Object.entries(assignment)) {
    if (key === 'cycle.name' || key === 'cycle.lambda' || key === 'seed') continue;
    labels[key] = typeof value === 'number' ? value : String(value);
  }
  return labels;
}
