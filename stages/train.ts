/**
 * train: M_t is a GPT trained from scratch on D_t (docs/EXPERIMENT.md §2): AdamW with warm-up and cosine decay,
 * gradient clipping, a 90/10 validation split, and the weights of the best validation loss kept. Training
 * checkpoints through the stage context, so an interrupted run resumes from its last checkpoint.
 */
import { defineStage } from '../engine/stage.ts';
import type { ModelSection, TrainSection } from '../model/config.ts';
import type { TaskSlice } from '../tasks/registry.ts';
import type { KeyedRuntime } from './backend.ts';
import type { ExpressionRow } from './dataset.ts';

/** The params slice of a train node: params.yaml's `model` and `train` sections, with the backend when it is keyed on. */
export type TrainParams = { model: ModelSection; train: TrainSection } & Partial<KeyedRuntime> & TaskSlice;

/**
 * The block must hold the longest example plus the end token, or the model never sees that example whole and
 * where it ends: an error, not a truncation, since training on cut examples silently changes what the experiment
 * measures. Only the real rows (real, fresh) are checked: sampled rows are at most a block long because sampling
 * stops there, and they are kept as sampled (the loop is self-consuming, not curated). `examples` are the rows'
 * token ids.
 */
export function checkBlockSize(rows: readonly ExpressionRow[], examples: readonly (readonly number[])[], blockSize: number): void {
  let longest = 0;
  let row = -1;
  rows.forEach((r, i) => {
    if (r.origin === 'synthetic') return;
    if (examples[i].length > longest) [longest, row] = [examples[i].length, i];
  });
  if (longest > blockSize - 1) {
    throw new Error(`model.block_size is ${blockSize}, but the dataset's longest example (row ${row}) has ${longest} tokens: `
      + `model.block_size must be at least ${longest + 1} (the longest example plus the end token)`);
  }
}

export default defineStage<TrainParams>({
  name: 'train',
  module: new URL('./run/train.ts', import.meta.url).href,
  inputs: ['dataset'],
  outputs: ['weights', 'log'],
});
