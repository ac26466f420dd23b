/**
 * gen-d0: the real data. D_0 is n distinct real examples of the task for the node's seed (for logic: unique Boolean
 * expressions of depth d_min..d_max that evaluate to True, drawn by the random tree builder; docs/EXPERIMENT.md §1).
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { RowsTaskSlice } from '../tasks/registry.ts';

/** params.yaml's `data` section. */
export const dataSection = z.strictObject({
  /** Dataset size n (and |S_t|). */
  n: z.number().int().min(2),
});
export type DataSection = z.infer<typeof dataSection>;

export type GenD0Params = DataSection & RowsTaskSlice;

export default defineStage<GenD0Params>({
  name: 'gen-d0',
  module: new URL('./run/gen-d0.ts', import.meta.url).href,
  inputs: [],
  outputs: ['dataset'],
});
