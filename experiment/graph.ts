/**
 * The experiment as a DAG: each point of the sweep becomes the chain of docs/EXPERIMENT.md, generation after generation,
 *
 *   gen-d0 → D_0 → train → M_0 → sample → S_0 → build-dataset → D_1 → train → M_1 → …,   eval(S_t, D_t) each t,
 *
 * and every node carries only the params its stage reads. Nodes of different sweep points that read the same
 * params from the same inputs (D_0, M_0, S_0 of every cycle; a λ-free cycle across λ) are the same node to the
 * engine, which runs them once.
 */
import type { NodeSpec } from '../engine/graph.ts';
import type { Json } from '../engine/stage.ts';
import buildDataset, { type BuildParams } from '../stages/build-dataset.ts';
import evaluate from '../stages/eval.ts';
import genD0 from '../stages/gen-d0.ts';
import sample from '../stages/sample.ts';
import train from '../stages/train.ts';
import { CYCLES_USING_LAMBDA, sweepCombinations, type ParamsFile, type SweepPoint } from './params.ts';

export function experimentGraph(file: ParamsFile): NodeSpec[] {
  const nodes = new Map<string, NodeSpec>();
  for (const point of sweepCombinations(file)) {
    for (const node of chainOf(point)) {
      // A λ-free cycle yields the same ids for every λ of the sweep; keep one.
      if (!nodes.has(node.id)) nodes.set(node.id, node);
    }
  }
  return [...nodes.values()];
}

function chainOf({ params: p, assignment }: SweepPoint): NodeSpec[] {
  const labels = labelsOf({ params: p, assignment });
  const path = (stage: string, generation: number) =>
    [stage, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), `gen=${generation}`].join('/');
  const tags = (stage: string, generation: number) => ({ stage, ...labels, generation });
  const withBackend = (slice: Record<string, Json>): Json =>
    p.runtime.backend_in_key ? { ...slice, backend: p.runtime.backend } : slice;
  const seedBase = p.seed;

  const { cycle: _cycle, lambda: _lambda, ...realLabels } = labels;
  const d0: NodeSpec = {
    id: ['gen-d0', ...Object.entries(realLabels).map(([k, v]) => `${k}=${v}`)].join('/'),
    stage: genD0,
    params: { n: p.data.n, depth_min: p.data.depth_min, depth_max: p.data.depth_max },
    inputs: {},
    tags: { stage: 'gen-d0', ...realLabels, generation: 0 },
    seedBase,
  };
  const nodes: NodeSpec[] = [d0];
  let dataset = { node: d0.id, output: 'dataset' };
  for (let t = 0; t < p.generations; t++) {
    const model: NodeSpec = {
      id: path('train', t),
      stage: train,
      params: withBackend({ model: p.model, train: p.train }),
      inputs: { dataset },
      tags: tags('train', t),
      seedBase,
    };
    const samples: NodeSpec = {
      id: path('sample', t),
      stage: sample,
      params: withBackend({ n: p.data.n, ...p.sample, generation: t }),
      inputs: { weights: { node: model.id, output: 'weights' } },
      tags: tags('sample', t),
      seedBase,
    };
    const evaluation: NodeSpec = {
      id: path('eval', t),
      stage: evaluate,
      params: { ...p.eval, generation: t },
      inputs: { samples: { node: samples.id, output: 'samples' }, dataset },
      tags: tags('eval', t),
      seedBase,
    };
    nodes.push(model, samples, evaluation);
    if (t + 1 < p.generations) {
      const build: BuildParams = {
        cycle: p.cycle.name,
        ...(CYCLES_USING_LAMBDA.has(p.cycle.name) ? { lambda: p.cycle.lambda } : {}),
        n: p.data.n,
        depth_min: p.data.depth_min,
        depth_max: p.data.depth_max,
        generation: t + 1,
      };
      const next: NodeSpec = {
        id: path('build-dataset', t + 1),
        stage: buildDataset,
        params: build,
        inputs: { d0: { node: d0.id, output: 'dataset' }, dataset, samples: { node: samples.id, output: 'samples' } },
        tags: tags('build-dataset', t + 1),
        seedBase,
      };
      nodes.push(next);
      dataset = { node: next.id, output: 'dataset' };
    }
  }
  return nodes;
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
