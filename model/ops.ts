/**
 * The GPT's parts as differentiable ops: linear, LayerNorm, GELU, causal self-attention and cross-entropy. Each runs
 * as one fused kernel with a hand-written backward kernel where the active backend has them (the wasm backend with
 * the native addon: fused-kernels.ts), and as composite tf ops everywhere else. Both compute the same function;
 * test/model-kernels.test.ts holds them to each other.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED } from './fused-kernels.ts';

/** Dropout with seeds drawn from the caller's RNG, so that a run is reproducible and resumable. */
export interface Dropout {
  rate: number;
  nextSeed: () => number;
}

export function drop(x: tf.Tensor, dropout: Dropout | undefined): tf.Tensor {
  return dropout && dropout.rate > 0 ? tf.dropout(x, dropout.rate, undefined, dropout.nextSeed()) : x;
}

const fused = (kernel: string): boolean => tf.getKernel(kernel, tf.getBackend()) !== undefined;
const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor | tf.Tensor[];
type GradArgs = Array<tf.Tensor | tf.GradSaveFunc>;

/** x·w + b for x [rows, in], w [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (!fused(FUSED.linear)) return tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
  return fusedLinear(x, w, b) as tf.Tensor2D;
}

const fusedLinear = tf.customGrad((...args: GradArgs) => {
  const [x, w, b] = args as tf.Tensor[];
  (args[3] as tf.GradSaveFunc)([x, w]);
  return {
    value: run(FUSED.linear, { x, w, b }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => run(FUSED.linearGrad, { dy, x: xs, w: ws }) as tf.Tensor[],
  };
});

/**
 * LayerNorm over the last axis, with a hand-written backward pass (about half the ops of autodiff's):
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·weight.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return (fused(FUSED.layerNorm) ? fusedLayerNorm : compositeLayerNorm)(x, weight, bias);
}

const fusedLayerNorm = tf.customGrad((...args: GradArgs) => {
  const [x, w, b] = args as tf.Tensor[];
  const [y, xhat, rstd] = run(FUSED.layerNorm, { x, w, b }) as tf.Tensor[];
  (args[3] as tf.GradSaveFunc)([xhat, rstd, w]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [xh, r, ws]: tf.Tensor[]) =>
      run(FUSED.layerNormGrad, { dy, xhat: xh, rstd: r, w: ws }) as tf.Tensor[],
  };
});

const compositeLayerNorm = tf.customGrad((...args: GradArgs) => {
  const [x, weight, bias] = args as tf.Tensor[];
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-5));
  const xhat = tf.mul(centred, rstd);
  (args[3] as tf.GradSaveFunc)([xhat, rstd, weight]);
  return {
    value: tf.add(tf.mul(xhat, weight), bias),
    gradFunc: (dy: tf.Tensor, [xh, r, w]: tf.Tensor[]) => {
      const rows = dy.size / dy.shape[dy.rank - 1];
      const gh = tf.mul(dy, w);
      const dx = tf.mul(r, tf.sub(tf.sub(gh, tf.mean(gh, -1, true)), tf.mul(xh, tf.mean(tf.mul(gh, xh), -1, true))));
      return [dx, tf.sum(tf.reshape(tf.mul(dy, xh), [rows, -1]), 0), tf.sum(tf.reshape(dy, [rows, -1]), 0)];
    },
  };
});

/**
 * tanh-approximated GELU written with sigmoid (0.5·(1+tanh z) = sigmoid(2z); tanh is ~6x slower on wasm), with a
 * hand-written backward pass: d/dx = s + x·s·(1−s)·(a + 3b·x²) for s = sigmoid(x·(a + b·x²)).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return (fused(FUSED.gelu) ? fusedGelu : compositeGelu)(x);
}

const GELU_A = 1.5957691216057308; // 2·sqrt(2/π)
const GELU_B = GELU_A * 0.044715;

const fusedGelu = tf.customGrad((...args: GradArgs) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: run(FUSED.gelu, { x }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => [run(FUSED.geluGrad, { x: xs, dy }) as tf.Tensor],
  };
});

const compositeGelu = tf.customGrad((...args: GradArgs) => {
  const x = args[0] as tf.Tensor;
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, GELU_B), GELU_A)));
  (args[1] as tf.GradSaveFunc)([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, [xs, x2s, ss]: tf.Tensor[]) => {
      const slope = tf.mul(tf.mul(xs, tf.sub(ss, tf.square(ss))), tf.add(tf.mul(x2s, 3 * GELU_B), GELU_A));
      return [tf.mul(dy, tf.add(ss, slope))];
    },
  };
});

/**
 * Causal multi-head self-attention: qkv [B·T, 3C] (queries, keys and values side by side) → [B·T, C]. The fused
 * kernel does not drop attention weights, so attention dropout runs the composite ops.
 */
export function causalSelfAttention(qkv: tf.Tensor2D, B: number, T: number, H: number, dropout?: Dropout): tf.Tensor2D {
  if (fused(FUSED.attention) && !(dropout && dropout.rate > 0)) {
    const attention = tf.customGrad((...args: GradArgs) => {
      const x = args[0] as tf.Tensor;
      const [y, att] = run(FUSED.attention, { qkv: x }, { B, T, H }) as tf.Tensor[];
      (args[1] as tf.GradSaveFunc)([x, att]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [xs, a]: tf.Tensor[]) => [
          run(FUSED.attentionGrad, { dy, qkv: xs, att: a }, { B, T, H }) as tf.Tensor,
        ],
      };
    });
    return attention(qkv) as tf.Tensor2D;
  }
  const C = qkv.shape[1] / 3;
  const hd = C / H;
  // [B·T, C] -> [B, H, T, hd]; 4-D transposes (5-D ones are slow on wasm).
  const heads = (t: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1);
  const scores = tf.add(tf.matMul(heads(tf.mul(q, 1 / Math.sqrt(hd))), heads(k), false, true), causalMask(T));
  const att = drop(tf.softmax(scores), dropout);
  return tf.reshape(tf.transpose(tf.matMul(att as tf.Tensor4D, heads(v)), [0, 2, 1, 3]), [B * T, C]);
}

/** Keys and values of one layer so far, each [N, H, t, C/H]. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * One decoding step of self-attention for N sequences: qkv [N, 3C] of the new position; returns the heads' output
 * [N, C] and the layer's cache with this position appended (the caller disposes the old one). Unfused, attention
 * against the cache is a broadcast multiply and sum: with one query per sequence a batched matmul would be N·H tiny
 * products.
 */
export function cachedSelfAttention(
  qkv: tf.Tensor2D,
  H: number,
  past: LayerCache | undefined,
): { y: tf.Tensor2D; cache: LayerCache } {
  const [N, C3] = qkv.shape;
  const hd = C3 / 3 / H;
  if (fused(FUSED.cachedAttention)) {
    const empty = (): tf.Tensor4D => tf.zeros([N, H, 0, hd]);
    const [y, k, v] = run(FUSED.cachedAttention, { qkv, k: past?.k ?? empty(), v: past?.v ?? empty() }) as tf.Tensor[];
    return { y: y as tf.Tensor2D, cache: { k: k as tf.Tensor4D, v: v as tf.Tensor4D } };
  }
  const [q, k, v] = tf.split(qkv, 3, 1);
  const append = (before: tf.Tensor4D | undefined, step: tf.Tensor): tf.Tensor4D => {
    const now = tf.reshape(step, [N, H, 1, hd]) as tf.Tensor4D;
    return before ? tf.concat([before, now], 2) : now;
  };
  const cache = { k: append(past?.k, k), v: append(past?.v, v) };
  const scores = tf.sum(tf.mul(tf.reshape(tf.mul(q, 1 / Math.sqrt(hd)), [N, H, 1, hd]), cache.k), -1); // [N, H, t+1]
  const att = tf.expandDims(tf.softmax(scores), -1); // [N, H, t+1, 1]
  return { y: tf.reshape(tf.sum(tf.mul(att, cache.v), 2), [N, C3 / 3]), cache };
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

/** Mean cross-entropy of logits [rows, V] against int32 targets [rows]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (fused(FUSED.crossEntropy)) {
    const loss = tf.customGrad((...args: GradArgs) => {
      const x = args[0] as tf.Tensor;
      const [value, probs] = run(FUSED.crossEntropy, { logits: x, targets }) as tf.Tensor[];
      (args[1] as tf.GradSaveFunc)([probs]);
      return {
        value,
        gradFunc: (dloss: tf.Tensor, [p]: tf.Tensor[]) => [
          run(FUSED.crossEntropyGrad, { probs: p, targets, dloss }) as tf.Tensor,
        ],
      };
    });
    return loss(logits) as tf.Scalar;
  }
  const labels = tf.cast(tf.oneHot(targets, logits.shape[1]), 'float32');
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
}
