/**
 * eval: the measures of docs/EXPERIMENT.md §5 for generation t, on the samples S_t and on the training set D_t: the
 * task-independent ones (count, Levenshtein diversity — exact over all pairs, or a seeded estimate over
 * `diversity_pairs` pairs for S_t and `data_diversity_pairs` for D_t, which the expanding cycle grows by n rows a
 * generation —, unique count, mean length, and the share of S_t copied verbatim from D_t) and the task's own (for
 * logic: syntactic and semantic correctness, mean depth). One row per generation, a column per metric in the
 * task's evalColumns order (or S_t's then D_t's, each the task-independent figures then the task's); the same
 * figures become the node's metrics in pipeline.lock.
 * With eval.perplexity (experiment/graph.ts connects the optional ports), also two perplexities: of the held-out real
 * rows under M_t (`heldout.perplexity`, over `heldout.rows` of them) and of S_t under M_0 (`samples.perplexity_m0`).
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { TaskSlice } from '../tasks/registry.ts';
import type { KeyedRuntime } from './backend.ts';

/** params.yaml's `eval` section. */
export const evalSection = z.strictObject({
  /** Levenshtein diversity of S_t: 0 = exact over all pairs; otherwise a seeded estimate over this many pairs. */
  diversity_pairs: z.number().int().min(0),
  /** The same for D_t, which the expanding cycle grows by n rows a generation. */
  data_diversity_pairs: z.number().int().min(0),
  /** The perplexity measures: of held-out real rows under M_t, and of S_t under M_0 (docs/EXPERIMENT.md §5). */
  perplexity: z.boolean().default(true),
  /** How many held-out real rows (stages/gen-heldout.ts): no generation trains on them. */
  heldout_rows: z.number().int().min(1).default(1000),
});
export type EvalSection = z.infer<typeof evalSection>;

/**
 * The diversity settings, the generation and, when runtime.backend_in_key puts it there, the backend the perplexities
 * run on. The perplexity keys stay out: whether the node measures them is whether its ports are connected, and
 * heldout_rows is gen-heldout's.
 */
export type EvalParams = Pick<EvalSection, 'diversity_pairs' | 'data_diversity_pairs'> & {
  generation: number;
} & Partial<KeyedRuntime> &
  TaskSlice;

export default defineStage<EvalParams>({
  name: 'eval',
  module: new URL('./run/eval.ts', import.meta.url).href,
  inputs: ['samples', 'dataset'],
  /** M_t, M_0 and the held-out rows: connected together, with eval.perplexity. */
  optionalInputs: ['weights', 'weights_m0', 'heldout'],
  outputs: ['metrics'],
});
