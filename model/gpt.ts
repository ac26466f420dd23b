/**
 * A nanoGPT-shaped decoder written with plain tf ops over named parameter tensors (no tf.layers), so that
 * parameters and optimiser state are flat Float32Arrays that are easy to store: token + learned position
 * embeddings, pre-LayerNorm blocks with causal multi-head attention and a 4x GELU MLP, final LayerNorm and a head
 * tied to the token embedding. Embedding lookups are one-hot matmuls: the vocabulary is tiny (8), and gather's
 * gradient needs a kernel the wasm backend lacks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../common/rng.ts';
import { parameterSpecs, type GPTConfig } from './config.ts';
import {
  cachedSelfAttention,
  causalSelfAttention,
  crossEntropy,
  drop,
  gelu,
  layerNorm,
  linear,
  type Dropout,
} from './ops.ts';
export type { Dropout } from './ops.ts';

export type Params = Record<string, tf.Tensor>;
export type HostParams = Map<string, Float32Array>;

/** A model: its shape and every parameter on the host (stages/weights-table.ts stores it as a table). */
export interface Weights {
  config: GPTConfig;
  params: HostParams;
}

/** Each parameter as its spec starts it (model/config.ts parameterSpecs), drawing from rng in the specs' order. */
export function initParameters(config: GPTConfig, rng: Rng): HostParams {
  const params: HostParams = new Map();
  for (const { name, shape, init } of parameterSpecs(config)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (init === 'ones') values.fill(1);
    else if (init !== 'zeros') for (let i = 0; i < values.length; i++) values[i] = init.normal * rng.normal();
    params.set(name, values);
  }
  return params;
}

/** Uploads host parameters as tensors (the caller disposes them). */
export function toTensors(config: GPTConfig, host: HostParams): Params {
  const params: Params = {};
  for (const { name, shape } of parameterSpecs(config)) {
    const values = host.get(name);
    if (!values) throw new Error(`missing parameter ${name}`);
    params[name] = tf.tensor(values, shape, 'float32');
  }
  return params;
}

function linearOf(x: tf.Tensor, p: Params, name: string): tf.Tensor2D {
  return linear(x, p[`${name}.weight`], p[`${name}.bias`]);
}

function layerNormOf(x: tf.Tensor, p: Params, name: string): tf.Tensor {
  return layerNorm(x, p[`${name}.weight`], p[`${name}.bias`]);
}

function embed(config: GPTConfig, p: Params, tokens: tf.Tensor1D): tf.Tensor2D {
  return tf.matMul(tf.cast(tf.oneHot(tokens, config.vocabSize), 'float32'), p.wte as tf.Tensor2D);
}

/**
 * Transformer block l, the one block of training and decoding: pre-LayerNorm attention then MLP, each added to the
 * residual stream. `attend` maps the layer's q, k, v [rows, 3C] to the heads' output [rows, C]: causal over the
 * whole sequence in training, against the KV cache in decoding.
 */
function block(
  x: tf.Tensor,
  p: Params,
  l: number,
  attend: (qkv: tf.Tensor2D) => tf.Tensor2D,
  dropout?: Dropout,
): tf.Tensor {
  const prefix = `h.${l}.`;
  const y = attend(linearOf(layerNormOf(x, p, `${prefix}ln_1`), p, `${prefix}attn.c_attn`));
  const h = tf.add(x, drop(linearOf(y, p, `${prefix}attn.c_proj`), dropout));
  const hidden = gelu(linearOf(layerNormOf(h, p, `${prefix}ln_2`), p, `${prefix}mlp.c_fc`));
  return tf.add(h, drop(linearOf(hidden, p, `${prefix}mlp.c_proj`), dropout));
}

function head(p: Params, x: tf.Tensor): tf.Tensor2D {
  return tf.matMul(layerNormOf(x, p, 'ln_f') as tf.Tensor2D, p.wte as tf.Tensor2D, false, true);
}

/** Logits [B·T, vocab] for token ids idx [B, T]. */
export function forward(config: GPTConfig, p: Params, idx: tf.Tensor2D, dropout?: Dropout): tf.Tensor2D {
  const [B, T] = idx.shape;
  if (T > config.blockSize) throw new Error(`sequence length ${T} exceeds the block size ${config.blockSize}`);
  const C = config.nEmbd;
  const tok = tf.reshape(embed(config, p, tf.reshape(idx, [B * T])), [B, T, C]);
  let x: tf.Tensor = drop(tf.reshape(tf.add(tok, tf.slice(p.wpe, [0, 0], [T, C])), [B * T, C]), dropout);
  for (let l = 0; l < config.nLayer; l++)
    x = block(x, p, l, (qkv) => causalSelfAttention(qkv, B, T, config.nHead, dropout), dropout);
  return head(p, x);
}

/** Mean cross-entropy of predicting targets [B, T] from idx [B, T]. */
export function lossFn(
  config: GPTConfig,
  p: Params,
  idx: tf.Tensor2D,
  targets: tf.Tensor2D,
  dropout?: Dropout,
): tf.Scalar {
  return crossEntropy(forward(config, p, idx, dropout), tf.reshape(targets, [-1]) as tf.Tensor1D);
}

/** Keys and values of every layer so far, each [N, H, t, hd]. */
export type KVCache = {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  length: number;
};

/**
 * One decoding step for N sequences: feeds tokens [N] at position cache.length and returns the next-token logits
 * [N, vocab] and the extended cache (the caller disposes the old one).
 */
export function decodeStep(
  config: GPTConfig,
  p: Params,
  tokens: tf.Tensor1D,
  cache?: KVCache,
): { logits: tf.Tensor2D; cache: KVCache } {
  const t = cache?.length ?? 0;
  if (t >= config.blockSize) throw new Error(`cannot decode past the block size ${config.blockSize}`);
  const C = config.nEmbd;
  return tf.tidy(() => {
    let x: tf.Tensor = tf.add(embed(config, p, tokens), tf.slice(p.wpe, [t, 0], [1, C]));
    const next: KVCache = { k: [], v: [], length: t + 1 };
    for (let l = 0; l < config.nLayer; l++) {
      x = block(x, p, l, (qkv) => {
        const { y, cache: layer } = cachedSelfAttention(qkv, config.nHead, cache && { k: cache.k[l], v: cache.v[l] });
        next.k.push(layer.k);
        next.v.push(layer.v);
        return y;
      });
    }
    return { logits: head(p, x), cache: next };
  });
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
