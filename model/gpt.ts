/**
 * A nanoGPT-shaped decoder written with plain tf ops over named parameter tensors (no tf.layers), so that
 * parameters and optimiser state are flat Float32Arrays that are easy to store: token + learned position
 * embeddings, pre-LayerNorm blocks with causal multi-head attention and a 4x GELU MLP, final LayerNorm and a head
 * tied to the token embedding. Embedding lookups are one-hot matmuls: the vocabulary is tiny (8), and gather's
 * gradient needs a kernel the wasm backend lacks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../common/rng.ts';
import { parameterShapes, type GPTConfig } from './config.ts';

export type Params = Record<string, tf.Tensor>;
export type HostParams = Map<string, Float32Array>;

/** A model: its shape and every parameter on the host (stages/weights-table.ts stores it as a table). */
export interface Weights {
  config: GPTConfig;
  params: HostParams;
}

/** nanoGPT's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2·nLayer), zero biases, unit LN gains. */
export function initParameters(config: GPTConfig, rng: Rng): HostParams {
  const params: HostParams = new Map();
  for (const [name, shape] of parameterShapes(config)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.startsWith('ln') || name.includes('.ln_')) {
      if (name.endsWith('.weight')) values.fill(1);
    } else if (shape.length === 2) {
      const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * config.nLayer) : 0.02;
      for (let i = 0; i < values.length; i++) values[i] = std * rng.normal();
    }
    params.set(name, values);
  }
  return params;
}

/** Uploads host parameters as tensors (the caller disposes them). */
export function toTensors(config: GPTConfig, host: HostParams): Params {
  const params: Params = {};
  for (const [name, shape] of parameterShapes(config)) {
    const values = host.get(name);
    if (!values) throw new Error(`missing parameter ${name}`);
    params[name] = tf.tensor(values, shape, 'float32');
  }
  return params;
}

/** Dropout with seeds drawn from the caller's RNG, so that a run is reproducible and resumable. */
export interface Dropout {
  rate: number;
  nextSeed: () => number;
}

function drop(x: tf.Tensor, dropout: Dropout | undefined): tf.Tensor {
  return dropout && dropout.rate > 0 ? tf.dropout(x, dropout.rate, undefined, dropout.nextSeed()) : x;
}

function linear(x: tf.Tensor, p: Params, name: string): tf.Tensor2D {
  return tf.add(tf.matMul(x as tf.Tensor2D, p[`${name}.weight`] as tf.Tensor2D), p[`${name}.bias`]);
}

/**
 * LayerNorm over the last axis with a hand-written backward pass (about half the ops of autodiff's):
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·weight.
 */
const layerNormOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, weight, bias] = args as tf.Tensor[];
  const save = args[3] as tf.GradSaveFunc;
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-5));
  const xhat = tf.mul(centred, rstd);
  save([xhat, rstd, weight]);
  return {
    value: tf.add(tf.mul(xhat, weight), bias),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xh, r, w] = saved;
      const rows = dy.size / dy.shape[dy.rank - 1];
      const dy2 = tf.reshape(dy, [rows, -1]);
      const gh = tf.mul(dy, w);
      const dx = tf.mul(r, tf.sub(tf.sub(gh, tf.mean(gh, -1, true)), tf.mul(xh, tf.mean(tf.mul(gh, xh), -1, true))));
      return [dx, tf.sum(tf.reshape(tf.mul(dy, xh), [rows, -1]), 0), tf.sum(dy2, 0)];
    },
  };
});

export function layerNorm(x: tf.Tensor, p: Params, name: string): tf.Tensor {
  return layerNormOp(x, p[`${name}.weight`], p[`${name}.bias`]);
}

/**
 * tanh-approximated GELU written with sigmoid (0.5·(1+tanh z) = sigmoid(2z); tanh is ~6x slower on wasm), with a
 * hand-written backward pass: d/dx = s + x·s·(1−s)·(a + 3b·x²) for s = sigmoid(x·(a + b·x²)).
 */
const GELU_A = 1.5957691216057308; // 2·sqrt(2/π)
const GELU_B = GELU_A * 0.044715;
export const gelu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, GELU_B), GELU_A)));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, x2s, ss] = saved;
      const slope = tf.mul(tf.mul(xs, tf.sub(ss, tf.square(ss))), tf.add(tf.mul(x2s, 3 * GELU_B), GELU_A));
      return [tf.mul(dy, tf.add(ss, slope))];
    },
  };
});

function embed(config: GPTConfig, p: Params, tokens: tf.Tensor1D): tf.Tensor2D {
  return tf.matMul(tf.cast(tf.oneHot(tokens, config.vocabSize), 'float32'), p.wte as tf.Tensor2D);
}

function mlp(x: tf.Tensor, p: Params, prefix: string, dropout?: Dropout): tf.Tensor {
  const hidden = gelu(linear(layerNorm(x, p, `${prefix}ln_2`), p, `${prefix}mlp.c_fc`));
  return tf.add(x, drop(linear(hidden, p, `${prefix}mlp.c_proj`), dropout));
}

function head(p: Params, x: tf.Tensor): tf.Tensor2D {
  return tf.matMul(layerNorm(x, p, 'ln_f') as tf.Tensor2D, p.wte as tf.Tensor2D, false, true);
}

const causalMasks = new Map<number, Float32Array>();
/** Additive mask: 0 on and below the diagonal, -1e9 above (finite, so softmax's gradient stays finite). */
function causalMask(T: number): tf.Tensor2D {
  let mask = causalMasks.get(T);
  if (!mask) {
    mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
    causalMasks.set(T, mask);
  }
  return tf.tensor2d(mask, [T, T]);
}

/** Logits [B·T, vocab] for token ids idx [B, T]. */
export function forward(config: GPTConfig, p: Params, idx: tf.Tensor2D, dropout?: Dropout): tf.Tensor2D {
  const [B, T] = idx.shape;
  if (T > config.blockSize) throw new Error(`sequence length ${T} exceeds the block size ${config.blockSize}`);
  const C = config.nEmbd;
  const H = config.nHead;
  const hd = C / H;
  const tok = tf.reshape(embed(config, p, tf.reshape(idx, [B * T])), [B, T, C]);
  let x: tf.Tensor = drop(tf.reshape(tf.add(tok, tf.slice(p.wpe, [0, 0], [T, C])), [B * T, C]), dropout);
  const mask = causalMask(T);
  // [B·T, C] -> [B, H, T, hd]; 4-D transposes (5-D ones are slow on wasm).
  const heads = (t: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]);
  for (let l = 0; l < config.nLayer; l++) {
    const prefix = `h.${l}.`;
    const [q, k, v] = tf.split(linear(layerNorm(x, p, `${prefix}ln_1`), p, `${prefix}attn.c_attn`), 3, 1);
    const scores = tf.add(tf.matMul(heads(tf.mul(q, 1 / Math.sqrt(hd))), heads(k), false, true), mask);
    const att = drop(tf.softmax(scores), dropout);
    const y = tf.reshape(tf.transpose(tf.matMul(att as tf.Tensor4D, heads(v)), [0, 2, 1, 3]), [B * T, C]);
    x = tf.add(x, drop(linear(y, p, `${prefix}attn.c_proj`), dropout));
    x = mlp(x, p, prefix, dropout);
  }
  return head(p, x);
}

/** Mean cross-entropy of predicting targets [B, T] from idx [B, T]. */
export function lossFn(config: GPTConfig, p: Params, idx: tf.Tensor2D, targets: tf.Tensor2D, dropout?: Dropout): tf.Scalar {
  const logits = forward(config, p, idx, dropout);
  const labels = tf.oneHot(tf.reshape(targets, [-1]) as tf.Tensor1D, config.vocabSize);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.cast(labels, 'float32'), tf.logSoftmax(logits)), -1)));
}

/** Keys and values of every layer so far, each [N, H, t, hd]. */
export type KVCache = {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  length: number;
};

/**
 * One decoding step for N sequences: feeds tokens [N] at position cache.length and returns the next-token logits
 * [N, vocab] and the extended cache (the caller disposes the old one). Attention against the cache is written as
 * broadcast multiply + sum: with one query per sequence a batched matmul would be N·H tiny products.
 */
export function decodeStep(config: GPTConfig, p: Params, tokens: tf.Tensor1D, cache?: KVCache): { logits: tf.Tensor2D; cache: KVCache } {
  const t = cache?.length ?? 0;
  if (t >= config.blockSize) throw new Error(`cannot decode past the block size ${config.blockSize}`);
  const N = tokens.shape[0];
  const C = config.nEmbd;
  const H = config.nHead;
  const hd = C / H;
  return tf.tidy(() => {
    let x: tf.Tensor = tf.add(embed(config, p, tokens), tf.slice(p.wpe, [t, 0], [1, C]));
    const next: KVCache = { k: [], v: [], length: t + 1 };
    for (let l = 0; l < config.nLayer; l++) {
      const prefix = `h.${l}.`;
      const [q, k, v] = tf.split(linear(layerNorm(x, p, `${prefix}ln_1`), p, `${prefix}attn.c_attn`), 3, 1);
      const kAll = append(cache?.k[l], tf.reshape(k, [N, H, 1, hd]));
      const vAll = append(cache?.v[l], tf.reshape(v, [N, H, 1, hd]));
      next.k.push(kAll);
      next.v.push(vAll);
      const scores = tf.sum(tf.mul(tf.reshape(tf.mul(q, 1 / Math.sqrt(hd)), [N, H, 1, hd]), kAll), -1); // [N, H, t+1]
      const att = tf.expandDims(tf.softmax(scores), -1); // [N, H, t+1, 1]
      const y = tf.reshape(tf.sum(tf.mul(att, vAll), 2), [N, C]);
      x = tf.add(x, linear(y, p, `${prefix}attn.c_proj`));
      x = mlp(x, p, prefix);
    }
    return { logits: head(p, x), cache: next };
  });
}

function append(past: tf.Tensor4D | undefined, step: tf.Tensor4D): tf.Tensor4D {
  return past ? tf.concat([past, step], 2) : step;
}

/** Keeps only the given rows (sequences) of a cache: finished sequences stop costing compute. */
export function selectRows(cache: KVCache, rows: tf.Tensor1D): KVCache {
  return tf.tidy(() => ({
    k: cache.k.map((k) => tf.gather(k, rows)),
    v: cache.v.map((v) => tf.gather(v, rows)),
    length: cache.length,
  }));
}

export function disposeCache(cache: KVCache | undefined): void {
  if (cache) tf.dispose([...cache.k, ...cache.v]);
}
