/**
 * eval: the measures of docs/EXPERIMENT.md §5 for generation t, on the samples S_t and on the training set D_t: the
 * task-independent ones (count, Levenshtein diversity — exact over all pairs, or a seeded estimate over
 * `diversity_pairs` pairs for S_t and `data_diversity_pairs` for D_t, which the expanding cycle grows by n rows a
 * generation —, unique count, mean length, and the share of S_t copied verbatim from D_t) and the task's own (for
 * logic: syntactic and semantic correctness, mean depth). One row per generation, a column per metric in the
 * task's evalColumns order (or S_t's then D_t's, each the task-independent figures then the task's); the same
 * figures become the node's metrics in pipeline.lock.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { TaskSlice } from '../tasks/registry.ts';

/** params.yaml's `eval` section. */
export const evalSection = z.strictObject({
  /** Levenshtein diversity of S_t: 0 = exact over all pairs; otherwise a seeded estimate over this many pairs. */
  diversity_pairs: z.number().int().min(0),
  /** The same for D_t, which the expanding cycle grows by n rows a generation. */
  data_diversity_pairs: z.number().int().min(0),
});
export type EvalSection = z.infer<typeof evalSection>;

export type EvalParams = EvalSection & { generation: number } & TaskSlice;

export default defineStage<EvalParams>({
  name: 'eval',
  module: new URL('./run/eval.ts', import.meta.url).href,
  inputs: ['samples', 'dataset'],
  outputs: ['metrics'],
});
