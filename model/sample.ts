/**
 * Sampling (docs/EXPERIMENT.md §3): every sequence starts from EOS (the vocabulary's last id) and runs until it emits
 * EOS or has blockSize tokens; every sample is returned as its token ids, whatever it is (the task's tokenizer
 * decodes them). Large batches are decoded at once with a KV cache; finished
 * sequences are dropped from the batch once they are half of it. Token choices use the seeded RNG on the host, so
 * a seed gives the same samples on a backend. Logits are read with `await data()`, the one read-back the webgpu
 * backend allows.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from './backend.ts';
import { Rng } from '../common/rng.ts';
import type { GPTConfig } from './config.ts';
import { decodeStep, disposeCache, selectRows, toTensors, type KVCache, type Params, type Weights } from './gpt.ts';

export interface SampleArgs {
  weights: Weights;
  n: number;
  temperature: number;
  topK?: number;
  seed: number;
  /** Sequences decoded together; default: as many as fit a ~512 MB KV cache, at most 2,000. */
  batchSize?: number;
  progress?: (done: number, total: number) => void;
}

/** The token ids of each sample, without the end token. */
export async function sampleGPT(args: SampleArgs): Promise<number[][]> {
  await ensureBackend();
  const { config, params } = args.weights;
  const p = toTensors(config, params);
  const rng = new Rng(args.seed);
  const batchSize = args.batchSize ?? defaultBatchSize(config);
  const out: number[][] = [];
  try {
    while (out.length < args.n) {
      const count = Math.min(batchSize, args.n - out.length);
      out.push(...(await sampleBatch(config, p, count, args.temperature, args.topK, rng)));
      args.progress?.(out.length, args.n);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    tf.dispose(Object.values(p));
  }
  return out;
}

function defaultBatchSize(config: GPTConfig): number {
  const cacheBytesPerRow = 2 * config.nLayer * config.blockSize * config.nEmbd * 4;
  return Math.max(1, Math.min(2000, Math.floor(512e6 / cacheBytesPerRow)));
}

/** Token ids (without the final EOS) of `count` sequences decoded together. */
async function sampleBatch(
  config: GPTConfig,
  p: Params,
  count: number,
  temperature: number,
  topK: number | undefined,
  rng: Rng,
): Promise<number[][]> {
  const sequences: number[][] = Array.from({ length: count }, () => []);
  let rows = sequences.map((_, i) => i); // batch row -> sequence, -1 once finished
  const vocab = config.vocabSize;
  const eos = vocab - 1;
  let tokens = new Int32Array(count).fill(eos);
  let cache: KVCache | undefined;
  try {
    for (let pos = 0; pos < config.blockSize; pos++) {
      const input = tf.tensor1d(tokens, 'int32');
      const step = decodeStep(config, p, input, cache);
      input.dispose();
      disposeCache(cache);
      cache = step.cache;
      const logits = await step.logits.data();
      step.logits.dispose();
      for (let r = 0; r < rows.length; r++) {
        const s = rows[r];
        if (s < 0) continue;
        const id = pick(logits, r * config.vocabSize, vocab, temperature, topK, rng);
        tokens[r] = id;
        if (id === eos) rows[r] = -1;
        else sequences[s].push(id);
      }
      const live = rows.flatMap((s, r) => (s >= 0 ? [r] : []));
      if (live.length === 0) break;
      if (live.length <= rows.length / 2) {
        const keep = tf.tensor1d(live, 'int32');
        const smaller = selectRows(cache, keep);
        keep.dispose();
        disposeCache(cache);
        cache = smaller;
        rows = live.map((r) => rows[r]);
        tokens = Int32Array.from(live, (r) => tokens[r]);
      }
    }
  } finally {
    disposeCache(cache);
  }
  return sequences;
}

/** Draws an id from softmax(logits/temperature) restricted to the top k; temperature ≤ 0 is greedy. */
function pick(
  logits: ArrayLike<number>,
  offset: number,
  vocab: number,
  temperature: number,
  topK: number | undefined,
  rng: Rng,
): number {
  let best = 0;
  for (let i = 1; i < vocab; i++) if (logits[offset + i] > logits[offset + best]) best = i;
  if (!(temperature > 0)) return best;
  let threshold = -Infinity;
  if (topK !== undefined && topK > 0 && topK < vocab) {
    const sorted = Array.from({ length: vocab }, (_, i) => logits[offset + i]).sort((a, b) => b - a);
    threshold = sorted[topK - 1];
  }
  const weights = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    const z = logits[offset + i];
    weights[i] = z >= threshold ? Math.exp((z - logits[offset + best]) / temperature) : 0;
    total += weights[i];
  }
  let u = rng.next() * total;
  for (let i = 0; i < vocab; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  return best;
}
