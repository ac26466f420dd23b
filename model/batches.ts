/**
 * Training data as the model sees it (docs/EXPERIMENT.md §2): examples arrive as token ids (the task's tokenizer
 * encodes them; the end token EOS is the vocabulary's last id), and every example is EOS + tokens, concatenated into one
 * cyclic stream (nanoGPT-style packing; the EOS before each expression ends the previous one, and the stream wraps
 * from the last expression to the first EOS), and training windows of blockSize+1 tokens start at the EOS of a
 * uniformly chosen expression. Packing wastes no compute on padding, and starting at an EOS trains position 0 on
 * exactly what sampling asks of it: begin an expression after the start token. (Windows at arbitrary offsets, as
 * nanoGPT takes them, showed position 0 mostly mid-expression text; half the syntax errors of a 2-layer model were
 * expressions that began inside parentheses.)
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';

/** A packed token stream and the offsets of the EOS before each expression: where windows start. */
export interface Stream {
  tokens: Int32Array;
  starts: Int32Array;
}

/** The cyclic token stream EOS e1 EOS e2 … EOS en of examples' ids (none of them EOS). */
export function packExamples(examples: readonly (readonly number[])[], eos: number): Stream {
  const ids: number[] = [];
  for (const example of examples) ids.push(eos, ...example);
  const tokens = Int32Array.from(ids);
  const starts: number[] = [];
  tokens.forEach((token, i) => {
    if (token === eos) starts.push(i);
  });
  return { tokens, starts: Int32Array.from(starts) };
}

/** Seeded split: the validation set is a valFraction share (at least one example when there are two or more). */
export function splitExamples<T>(examples: readonly T[], valFraction: number, seed: number): { train: T[]; val: T[] } {
  const order = new Rng(`${seed}:split`).shuffle(examples.map((_, i) => i));
  const nVal =
    examples.length < 2 || valFraction <= 0
      ? 0
      : Math.min(examples.length - 1, Math.max(1, Math.round(valFraction * examples.length)));
  return { val: order.slice(0, nVal).map((i) => examples[i]), train: order.slice(nVal).map((i) => examples[i]) };
}

/** rows windows of T+1 tokens from the cyclic stream at the given offsets, as inputs and shifted targets. */
export function windows(stream: Int32Array, starts: readonly number[], T: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Int32Array(starts.length * T);
  const y = new Int32Array(starts.length * T);
  const L = stream.length;
  starts.forEach((start, r) => {
    for (let j = 0; j < T; j++) {
      x[r * T + j] = stream[(start + j) % L];
      y[r * T + j] = stream[(start + j + 1) % L];
    }
  });
  return { x: tf.tensor2d(x, [starts.length, T], 'int32'), y: tf.tensor2d(y, [starts.length, T], 'int32') };
}

/**
 * The micro-batches of one step of batchSize windows, micro at a time, each weighted by its share of the rows. Each
 * one's windows are drawn from rng only when the loop asks for it, that is after the dropout seeds of the one
 * before: both training loops consume rng in this order, so a seed gives the same windows and masks in either.
 */
export function* microBatches(
  stream: Stream,
  batchSize: number,
  micro: number,
  rng: Rng,
): Generator<{ starts: number[]; weight: number }> {
  for (let done = 0; done < batchSize; done += micro) {
    const rows = Math.min(micro, batchSize - done);
    yield {
      starts: Array.from({ length: rows }, () => stream.starts[rng.int(stream.starts.length)]),
      weight: rows / batchSize,
    };
  }
}
