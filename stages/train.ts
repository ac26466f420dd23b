/**
 * train: M_t is a GPT trained from scratch on D_t (docs/EXPERIMENT.md §2): AdamW with warm-up and cosine decay,
 * gradient clipping, a 90/10 validation split, and the weights of the best validation loss kept. Training
 * checkpoints through the stage context, so an interrupted run resumes from its last checkpoint.
 */
import { defineStage } from '../engine/stage.ts';
import type { ModelSection, TrainSection } from '../model/config.ts';
import type { TaskSlice } from '../tasks/registry.ts';
import type { KeyedRuntime } from './backend.ts';

/** The params slice of a train node: params.yaml's `model` and `train` sections, with the backend when it is keyed on. */
export type TrainParams = { model: ModelSection; train: TrainSection } & Partial<KeyedRuntime> & TaskSlice;

export default defineStage<TrainParams>({
  name: 'train',
  module: new URL('./run/train.ts', import.meta.url).href,
  inputs: ['dataset'],
  outputs: ['weights', 'log'],
});
