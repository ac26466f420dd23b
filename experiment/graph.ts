/**
 * The experiment as a DAG: each point of the sweep becomes the chain of docs/EXPERIMENT.md, generation after generation,
 *
 *   gen-d0 → D_0 → train → M_0 → sample → S_0 → [curate] → build-dataset → D_1 → train → M_1 → …,   eval(S_t, D_t) each t,
 *
 * with a curate node only where curation.mode is not none, so the uncurated loop's nodes are the paper's, and with
 * eval.perplexity a gen-heldout node (the held-out real rows H, beside D_0) whose rows a build-dataset node that draws
 * fresh rows draws around, and eval scores under each M_t (eval also reads M_0, to score S_t under it),
 * and every node carries only the params its stage reads. Nodes of different sweep points that read the same
 * params from the same inputs (D_0, M_0, S_0 of every cycle; a λ-free cycle across λ) are one node, named by the
 * chain labels it depends on (`train/seed=1/gen=0`, no cycle), so that dag, status, progress, logs and the lock say
 * which chains share it; the readers of a lock place it in each of them (experiment/eval-points.ts chainNodes).
 * Names are labels, in neither key nor seed (engine/plan/graph.ts): renaming changes no output.
 */
import type { NodeSpec } from '../engine/plan/graph.ts';
import { canonicalJson } from '../engine/store/hash.ts';
import type { Json, Stage } from '../engine/stage.ts';
import type { KeyedRuntime } from '../stages/backend.ts';
import buildDataset, { type BuildParams, drawsFreshRows, freshInjection } from '../stages/build-dataset.ts';
import curate, { type CurateParams } from '../stages/curate.ts';
import evaluate from '../stages/eval.ts';
import genD0 from '../stages/gen-d0.ts';
import genHeldout from '../stages/gen-heldout.ts';
import sample from '../stages/sample.ts';
import train from '../stages/train.ts';
import { rowsTaskSlice, taskSlice } from '../tasks/registry.ts';
import { CYCLES_USING_LAMBDA, sweepCombinations, type ParamsFile, type SweepPoint } from './params.ts';

export function experimentGraph(file: ParamsFile): NodeSpec[] {
  const nodes = new Map<string, NodeSpec>();
  const idOf = new Map<string, string>();
  for (const point of sweepCombinations(file)) {
    for (const node of chainOf(point)) {
      // A node several sweep points ask for (D_0, generation 0, a λ-free cycle across λ) gets one id from each of
      // them: the same id must be the same node, and the same node must have one id.
      const known = nodes.get(node.id);
      const def = definition(node);
      if (!known) nodes.set(node.id, node);
      else if (definition(known) !== def) throw new Error(`graph: two different nodes are named '${node.id}'`);
      const named = idOf.get(def);
      if (named !== undefined && named !== node.id)
        throw new Error(`graph: one node is named both '${named}' and '${node.id}'`);
      idOf.set(def, node.id);
    }
  }
  return [...nodes.values()];
}

// Without runtime, which is how a node runs, not what it computes (engine/plan/graph.ts).
const definition = (node: NodeSpec): string =>
  canonicalJson({ stage: node.stage.name, params: node.params, inputs: node.inputs, seedBase: node.seedBase ?? null });

type Ref = NodeSpec['inputs'][string];

/**
 * The params paths a node's slice is read from, beside the slice itself: a chain label names a node only when the
 * node reads its key, or an input of the node carries it. So generation 0, which no cycle reads, is
 * `train/seed=1/gen=0` in every chain that shares it, and a node's name says what it depends on.
 */
type Reads = readonly string[];

const reads = (paths: Reads, key: string): boolean =>
  paths.some((path) => key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`));

function chainOf(point: SweepPoint): NodeSpec[] {
  const p = point.params;
  const labels = Object.entries(labelsOf(point));
  const labelsOfNode = new Map<string, Set<string>>();
  // The slice must be the stage's params type (NoInfer: the stage alone decides P), so a mismatch does not compile.
  const node = <P extends Json>(
    stage: Stage<P>,
    generation: number | null,
    params: NoInfer<P>,
    inputs: Record<string, Ref>,
    paths: Reads,
  ): NodeSpec<P> => {
    // The seed names every node (it is every node's seed base); any other label only the nodes that read it.
    const carried = new Set(Object.values(inputs).flatMap((ref) => [...labelsOfNode.get(ref.node)!]));
    const named = Object.fromEntries(
      labels.filter(([key]) => key === 'seed' || carried.has(key) || reads(paths, LABEL_PATHS[key] ?? key)),
    );
    const id = [
      stage.name,
      ...Object.entries(named).map(([k, v]) => `${k}=${v}`),
      ...(generation === null ? [] : [`gen=${generation}`]),
    ].join('/');
    labelsOfNode.set(id, new Set(Object.keys(named)));
    return {
      id,
      stage,
      params,
      inputs,
      tags: { stage: stage.name, ...named, generation: generation ?? 0 },
      seedBase: p.seed,
    };
  };
  const out = (n: NodeSpec, output: string): Ref => ({ node: n.id, output });
  // The model stages run on runtime's backend and kernel set (ctx.runtime); those are in their params slice, and so
  // their key, only with backend_in_key.
  const { backend_in_key, ...runtime } = p.runtime;
  const keyed: KeyedRuntime = {
    backend: runtime.backend,
    kernels: runtime.kernels,
    blas_coretype: runtime.blas_coretype,
  };
  const keyedPaths = backend_in_key ? Object.keys(keyed).map((k) => `runtime.${k}`) : [];
  const modelNode = <P extends { [k: string]: Json } & Partial<KeyedRuntime>>(
    stage: Stage<P>,
    generation: number,
    slice: NoInfer<P>,
    inputs: Record<string, Ref>,
    paths: Reads,
  ): NodeSpec<P> => ({
    ...node(stage, generation, backend_in_key ? { ...slice, ...keyed } : slice, inputs, [...paths, ...keyedPaths]),
    runtime,
  });

  // Each node names its task (tasks/registry.ts): nothing for logic, whose slices predate tasks.
  const task = taskSlice(p.task);
  const rowsTask = rowsTaskSlice(p.task);
  const dataPaths = ['data.n', 'task'];
  const { n, distinct = n } = p.data;
  const pool = distinct < n;
  const d0 = node(genD0, null, { n, ...(pool ? { distinct } : {}), ...rowsTask }, {}, [
    ...dataPaths,
    ...(pool ? ['data.distinct'] : []),
  ]);
  const nodes: NodeSpec[] = [d0];
  // S_t as the cycle sees it: through a curate node when curation is on.
  const curated = (samples: NodeSpec, t: number): Ref => {
    const { mode, max_copies, niche_size } = p.curation;
    if (mode === 'none') return out(samples, 'samples');
    const capped = mode === 'capped';
    const qd = mode === 'qd';
    const slice: CurateParams = {
      mode,
      ...(capped ? { max_copies } : {}),
      ...(qd ? { niche_size } : {}),
      generation: t,
      ...task,
    };
    const kept = node(curate, t, slice, { samples: out(samples, 'samples') }, [
      'curation.mode',
      ...(capped ? ['curation.max_copies'] : []),
      ...(qd ? ['curation.niche_size'] : []),
      'task',
    ]);
    nodes.push(kept);
    return out(kept, 'samples');
  };
  // The held-out real rows of the perplexity measures: one node per seed and task, like D_0.
  const heldout = p.eval.perplexity
    ? node(genHeldout, null, { n: p.eval.heldout_rows, ...rowsTask }, { d0: out(d0, 'dataset') }, [
        'eval.heldout_rows',
        'task',
      ])
    : undefined;
  if (heldout) nodes.push(heldout);
  // eval(S_t, D_t); with the perplexities a model node, which also reads M_t, M_0 and the held-out rows.
  const evalNode = (t: number, inputs: Record<string, Ref>, model: NodeSpec, m0: NodeSpec): NodeSpec => {
    const { diversity_pairs, data_diversity_pairs } = p.eval;
    const slice = { diversity_pairs, data_diversity_pairs, generation: t, ...task };
    if (!heldout) return node(evaluate, t, slice, inputs, ['eval', 'task']);
    const models = { weights: out(model, 'weights'), weights_m0: out(m0, 'weights'), heldout: out(heldout, 'dataset') };
    return modelNode(evaluate, t, slice, { ...inputs, ...models }, ['eval', 'task']);
  };
  let m0: NodeSpec | undefined;
  let dataset = out(d0, 'dataset');
  for (let t = 0; t < p.generations; t++) {
    const model = modelNode(train, t, { model: p.model, train: p.train, ...task }, { dataset }, [
      'model',
      'train',
      'task',
    ]);
    const samples = modelNode(
      sample,
      t,
      { n: p.data.n, ...p.sample, generation: t, ...task },
      { weights: out(model, 'weights') },
      ['data.n', 'sample', 'task'],
    );
    m0 ??= model;
    const evaluation = evalNode(t, { samples: out(samples, 'samples'), dataset }, model, m0);
    nodes.push(model, samples, evaluation);
    if (t + 1 < p.generations) {
      const usesLambda = CYCLES_USING_LAMBDA.has(p.cycle.name);
      const { fresh_every, fresh_share } = p.cycle;
      const fresh = freshInjection(fresh_every, t + 1);
      const build: BuildParams = {
        cycle: p.cycle.name,
        ...(usesLambda ? { lambda: p.cycle.lambda } : {}),
        ...(fresh ? { fresh_every, fresh_share } : {}),
        n: p.data.n,
        generation: t + 1,
        ...rowsTask,
      };
      const inputs = {
        d0: out(d0, 'dataset'),
        dataset,
        samples: curated(samples, t),
        ...(heldout && drawsFreshRows(build) && { heldout: out(heldout, 'dataset') }),
      };
      // curation.mode decides where its samples come from, a curate node or the sample node itself.
      const next = node(buildDataset, t + 1, build, inputs, [
        'cycle.name',
        ...(usesLambda ? ['cycle.lambda'] : []),
        ...(fresh ? ['cycle.fresh_every', 'cycle.fresh_share'] : []),
        'curation.mode',
        ...dataPaths,
      ]);
      nodes.push(next);
      dataset = out(next, 'dataset');
    }
  }
  return nodes;
}

// The labels named other than by their params path (labelsOf).
const LABEL_PATHS: Record<string, string> = { cycle: 'cycle.name', lambda: 'cycle.lambda' };

/** A chain's name: its labels as node ids carry them, `cycle=incremental/lambda=0.5/seed=1`. */
export function chainName(point: SweepPoint): string {
  return Object.entries(labelsOf(point))
    .map(([k, v]) => `${k}=${v}`)
    .join('/');
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
    // An optional key (data.distinct) that another sweep block sets and this point leaves at its default.
    if (value === undefined) continue;
    labels[key] = typeof value === 'number' ? value : String(value);
  }
  return labels;
}
