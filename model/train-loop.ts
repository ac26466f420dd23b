/**
 * What a training loop is to train.ts, which owns the schedule, evaluation points, early stopping, the log and
 * checkpoints. Two loops implement it and differ only in where the model lives: train-host.ts keeps parameters,
 * AdamW moments and gradients in host Float32Arrays (fastest on wasm and cpu), train-device.ts keeps them in
 * tensors on the backend's device and never reads back synchronously (what a GPU needs; webgpu cannot read
 * synchronously at all).
 */
import type { Rng } from '../common/rng.ts';
import type { TrainSection } from './config.ts';
import type { GPTConfig } from './config.ts';
import type { Dropout, HostParams } from './gpt.ts';
import type { Stream } from './batches.ts';

export type LoopKind = 'host' | 'device';

/** Host copies of everything a checkpoint holds. */
export interface OptimiserState {
  params: HostParams;
  m: HostParams;
  v: HostParams;
  best?: HostParams;
}

export interface LoopSetup {
  config: GPTConfig;
  train: TrainSection;
  /** Rows per forward/backward pass. */
  micro: number;
  trainStream: Stream;
  valStream: Stream;
  /** The fixed evaluation windows' starts in valStream, one list per evaluation batch. */
  evalStarts: number[][];
  /** Draws the training windows (and, through dropout, its masks' seeds). */
  rng: Rng;
  dropout?: Dropout;
  start: OptimiserState;
}

export interface TrainLoop {
  /**
   * One AdamW update at learning rate lr (update number t, from 1) on batch_size windows, gradients clipped by
   * global norm. Returns the step's mean loss when the loop has it on the host, else undefined: losses() has it.
   */
  step(lr: number, t: number): number | undefined;
  /** The losses that step() did not return, in step order, since the last call. */
  losses(): Promise<number[]>;
  /** Mean loss over the evaluation windows. */
  evaluate(): Promise<number>;
  /** Keeps the current weights as the best so far. */
  keepBest(): void;
  /** Everything a checkpoint holds, copied to the host. */
  state(): Promise<OptimiserState>;
  /** The best weights kept, else the current ones, on the host. */
  result(): Promise<HostParams>;
  dispose(): void;
}

/** Sum of the values, in order, divided by their count: one rule for both loops, so their figures agree. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** A step's loss from its micro-batches' mean losses and row shares, summed in order. */
export function stepLoss(values: ArrayLike<number>, weights: readonly number[]): number {
  let loss = 0;
  weights.forEach((w, i) => (loss += w * values[i]));
  return loss;
}
