/** The GPT itself: parameter count, KV-cache decoding against the full forward pass. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import { selectBackend } from '../model/backend.ts';
import { PAPER_GPT, countParameters } from '../model/config.ts';
import { gelu, layerNorm } from '../model/ops.ts';
import { kvCacheMatchesForward } from './fixtures/model.ts';
import { kernelSetsHere } from './fixtures/native.ts';
import { DEFAULT_KERNELS, selectKernels } from '../model/kernel-set.ts';

test('the paper shape has ~10.6M parameters (nanoGPT count, without position embeddings)', (t) => {
  const total = countParameters(PAPER_GPT);
  t.is(total, 10_748_928);
  t.is(Math.round((total - PAPER_GPT.blockSize * PAPER_GPT.nEmbd) / 1e4) / 100, 10.65);
});

for (const set of kernelSetsHere()) {
  test.serial(`KV-cache decoding gives the logits of the full forward pass (wasm, ${set} kernels)`, async (t) => {
    const { name } = await selectBackend('wasm');
    selectKernels(name, { ...DEFAULT_KERNELS, kernels: set });
    await kvCacheMatchesForward.exec(t, 'wasm');
  });
}

/** max |a − b| / max |b| over every pair of outputs. */
function relativeError(a: tf.Tensor[], b: tf.Tensor[]): number {
  let err = 0;
  a.forEach((x, i) => {
    const diff = tf.max(tf.abs(tf.sub(x, b[i]))).dataSync()[0];
    err = Math.max(err, diff / Math.max(1e-12, tf.max(tf.abs(b[i])).dataSync()[0]));
  });
  return err;
}

test.serial('hand-written LayerNorm and GELU backward passes match autodiff (the composite ops)', async (t) => {
  const { name } = await selectBackend('wasm');
  selectKernels(name, { ...DEFAULT_KERNELS, kernels: 'wasm' });
  const rng = new Rng(9);
  const random = (shape: number[], scale = 1): tf.Tensor =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => scale * rng.normal()),
      shape,
    );
  tf.tidy(() => {
    const x = random([37, 24], 3);
    const w = random([24]);
    const b = random([24]);
    const dy = random([37, 24]);
    // Reference: the same functions written with differentiable ops only.
    const lnRef = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const c = tf.sub(x, tf.mean(x, -1, true));
      return tf.add(tf.mul(tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5))), w), b);
    };
    const geluRef = (x: tf.Tensor): tf.Tensor =>
      tf.mul(
        tf.mul(x, 0.5),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
      );
    const lnOurs = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => layerNorm(x, w, b);
    const withGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): tf.Tensor[] => [
      f(...xs),
      ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(xs),
    ];
    const lnErr = relativeError(withGrads(lnOurs, [x, w, b]), withGrads(lnRef, [x, w, b]));
    const geluErr = relativeError(withGrads(gelu, [x]), withGrads(geluRef, [x]));
    t.true(lnErr < 1e-5, `LayerNorm relative error ${lnErr}`);
    t.true(geluErr < 1e-5, `GELU relative error ${geluErr}`);
  });
});
