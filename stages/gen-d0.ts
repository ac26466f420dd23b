/**
 * gen-d0: the real data. D_0 is n distinct real examples of the task for the node's seed (for logic: unique Boolean
 * expressions of depth d_min..d_max that evaluate to True, drawn by the random tree builder; docs/EXPERIMENT.md §1).
 *
 * With data.distinct = d < n, D_0 is a small pool with repeats: d distinct real examples, repeated in turn (1, 2, …,
 * d, 1, 2, …) until there are n, so each is there ⌊n/d⌋ or ⌈n/d⌉ times (the first n mod d once more). This changes
 * D_0's diversity at a fixed n without changing the distribution its rows come from (a narrower depth range would
 * also change their length and difficulty). Interleaved rather than each row's copies together, so that D_0's
 * first d rows are the d distinct ones and every prefix is as diverse as it can be; the training split and the
 * cycles' draws are seeded shuffles, which do not read the order.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { RowsTaskSlice } from '../tasks/registry.ts';

/** params.yaml's `data` section. */
export const dataSection = z.strictObject({
  /** Dataset size n (and |S_t|). */
  n: z.number().int().min(2),
  /** Distinct real examples in D_0, repeated up to n rows; absent, n (every row distinct). */
  distinct: z.number().int().min(1).optional(),
});
export type DataSection = z.infer<typeof dataSection>;

/** At most n distinct rows; checked on every sweep point. */
export function dataProblems({ n, distinct = n }: DataSection): string[] {
  return distinct > n
    ? [`data.distinct = ${distinct} is more than data.n = ${n}; expected a number of distinct rows from 1 to data.n`]
    : [];
}

/** `distinct` only where it is less than n, so that a D_0 of n distinct rows keeps its key however it is asked for. */
export type GenD0Params = DataSection & RowsTaskSlice;

export default defineStage<GenD0Params>({
  name: 'gen-d0',
  module: new URL('./run/gen-d0.ts', import.meta.url).href,
  inputs: [],
  outputs: ['dataset'],
});
