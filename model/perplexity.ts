/**
 * How likely a model finds a set of examples: the total negative log-likelihood of their tokens, and the perplexity
 * exp(nll / tokens), token-level as the language-modelling literature defines it. Each example is scored as it is
 * trained (model/batches.ts) and sampled (model/sample.ts): input EOS x_1 … x_k, targets x_1 … x_k EOS, k + 1
 * predictions. Forward passes only, without dropout; logits are read with `await data()`, as sampling reads them.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from './backend.ts';
import type { GPTConfig } from './config.ts';
import { forward, toTensors, type Params, type Weights } from './gpt.ts';

export interface Likelihood {
  /** Σ −log p(target), in nats. */
  nll: number;
  /** The number of predictions scored. */
  tokens: number;
}

export const perplexity = ({ nll, tokens }: Likelihood): number => Math.exp(nll / tokens);

/** Tokens a forward pass holds at most (rows × length): about what a training micro-batch holds. */
const TOKENS_PER_BATCH = 4096;

/**
 * The negative log-likelihood of every example (token ids, none of them EOS). An example of k tokens makes k + 1
 * predictions; where that exceeds the block size only the first blockSize are scored: such an example fills the
 * block without ending (as a sample does that never emitted EOS), so the model is never asked for its EOS.
 * Examples are taken in order of length, each batch padded to its longest, the padded positions left out of the sum
 * (the attention is causal, so padding at the end changes no earlier prediction).
 */
export async function negativeLogLikelihood(
  weights: Weights,
  examples: readonly (readonly number[])[],
  eos: number,
  progress?: (done: number, total: number) => void,
): Promise<Likelihood> {
  await ensureBackend();
  const { config } = weights;
  const lengthOf = (example: readonly number[]) => Math.min(example.length + 1, config.blockSize);
  const order = examples.map((_, i) => i).sort((a, b) => lengthOf(examples[a]) - lengthOf(examples[b]));
  const p = toTensors(config, weights.params);
  let nll = 0;
  let tokens = 0;
  try {
    for (let start = 0; start < order.length; ) {
      // Sorted ascending, so the batch's last example is its longest, and the one that sets its length.
      let end = start + 1;
      while (end < order.length && (end - start + 1) * lengthOf(examples[order[end]]) <= TOKENS_PER_BATCH) end++;
      const batch = order.slice(start, end).map((i) => examples[i]);
      const T = lengthOf(batch[batch.length - 1]);
      const logProbs = await targetLogProbs(config, p, batch, T, eos);
      batch.forEach((example, r) => {
        const scored = lengthOf(example);
        for (let j = 0; j < scored; j++) nll -= logProbs[r * T + j];
        tokens += scored;
      });
      start += batch.length;
      progress?.(start, order.length);
    }
  } finally {
    tf.dispose(Object.values(p));
  }
  return { nll, tokens };
}

/** log p(target) at every position of a batch padded with EOS to length T: [rows · T], row-major. */
async function targetLogProbs(
  config: GPTConfig,
  p: Params,
  batch: readonly (readonly number[])[],
  T: number,
  eos: number,
): Promise<Float32Array> {
  const x = new Int32Array(batch.length * T).fill(eos);
  const y = new Int32Array(batch.length * T).fill(eos);
  batch.forEach((example, r) => {
    for (let j = 1; j < T && j <= example.length; j++) x[r * T + j] = example[j - 1];
    for (let j = 0; j < T && j < example.length; j++) y[r * T + j] = example[j];
  });
  const picked = tf.tidy(() => {
    const logits = forward(config, p, tf.tensor2d(x, [batch.length, T], 'int32'));
    const targets = tf.oneHot(tf.tensor1d(y, 'int32'), config.vocabSize);
    return tf.sum(tf.mul(tf.logSoftmax(logits), tf.cast(targets, 'float32')), 1);
  });
  try {
    return (await picked.data()) as Float32Array;
  } finally {
    picked.dispose();
  }
}
