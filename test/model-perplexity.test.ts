/** Perplexity (model/perplexity.ts) against the same sum done by hand, one unpadded forward pass per example. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import { selectBackend } from '../model/backend.ts';
import type { GPTConfig } from '../model/config.ts';
import { forward, initParameters, toTensors, type Weights } from '../model/gpt.ts';
import { DEFAULT_KERNELS, selectKernels } from '../model/kernel-set.ts';
import { negativeLogLikelihood, perplexity } from '../model/perplexity.ts';

const CONFIG: GPTConfig = { vocabSize: 4, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0 };
const EOS = CONFIG.vocabSize - 1;

/** A random model whose embedding is scaled up, so that its predictions are far from uniform (perplexity 4). */
function tinyWeights(): Weights {
  const params = initParameters(CONFIG, new Rng(3));
  params.set(
    'wte',
    params.get('wte')!.map((w) => 10 * w),
  );
  return { config: CONFIG, params };
}

/** −Σ log p(target) of one example: EOS x_1 … predicting x_1 … EOS, the first blockSize predictions only. */
function handNll(weights: Weights, example: readonly number[]): { nll: number; tokens: number } {
  const T = Math.min(example.length + 1, CONFIG.blockSize);
  const input = [EOS, ...example].slice(0, T);
  const targets = [...example, EOS].slice(0, T);
  const logits = tf.tidy(() => {
    const p = toTensors(CONFIG, weights.params);
    return forward(CONFIG, p, tf.tensor2d(input, [1, T], 'int32')).arraySync();
  });
  let nll = 0;
  logits.forEach((row, j) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    nll -= row[targets[j]] - logSumExp;
  });
  return { nll, tokens: T };
}

test.serial('perplexity: exp of the mean token loss, batched and padded, as computed by hand', async (t) => {
  const { name } = await selectBackend('wasm');
  selectKernels(name, { ...DEFAULT_KERNELS, kernels: 'wasm' });
  const weights = tinyWeights();
  // Lengths 0 to 8 in no order: the longest two do not fit the block of 6 with their EOS.
  const examples = [
    [0, 1, 2],
    [],
    [2, 2, 1, 0, 1, 2, 0, 1],
    [1],
    [0, 0, 1, 1, 2],
    [2, 1, 0, 2, 1],
    [1, 0],
    [0, 1, 2, 0, 1, 2],
  ];
  const got = await negativeLogLikelihood(weights, examples, EOS);
  const hand = examples.map((example) => handNll(weights, example));
  const tokens = hand.reduce((sum, h) => sum + h.tokens, 0);
  t.is(got.tokens, tokens);
  t.is(tokens, 4 + 1 + 6 + 2 + 6 + 6 + 3 + 6, 'k + 1 predictions, at most the block size');
  const expected = Math.exp(hand.reduce((sum, h) => sum + h.nll, 0) / tokens);
  t.true(Math.abs(expected - CONFIG.vocabSize) > 0.5, `not the uniform model's perplexity (${expected})`);
  t.true(Math.abs(perplexity(got) / expected - 1) < 1e-5, `${perplexity(got)} against ${expected}`);
  // Truncated as specified: the prediction past the block (the EOS after 8 tokens) is not scored.
  const long = await negativeLogLikelihood(weights, [examples[2]], EOS);
  t.is(long.tokens, CONFIG.blockSize);
  t.true(Math.abs(long.nll - hand[2].nll) < 1e-5 * hand[2].nll);
});
