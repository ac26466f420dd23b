/**
 * gen-heldout: H, the run's held-out real rows. `heldout_rows` distinct real examples of the task for the node's seed,
 * none in D_0; build-dataset draws no fresh row from them, so that no generation trains on them, and eval measures
 * each M_t's perplexity on them (the held-out perplexity of docs/EXPERIMENT.md §5).
 */
import { defineStage } from '../engine/stage.ts';
import type { RowsTaskSlice } from '../tasks/registry.ts';

/** n = eval.heldout_rows. */
export type GenHeldoutParams = { n: number } & RowsTaskSlice;

export default defineStage<GenHeldoutParams>({
  name: 'gen-heldout',
  module: new URL('./run/gen-heldout.ts', import.meta.url).href,
  inputs: ['d0'],
  outputs: ['dataset'],
});
