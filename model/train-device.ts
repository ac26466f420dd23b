/**
 * The device-resident training loop (train-loop.ts), for GPU backends: parameters, AdamW moments and the gradient
 * accumulator are tensors on the backend's device, and a step issues its work without reading anything back. The
 * parameters are one flat vector, split into the named tensors inside the differentiated function, so that
 * gradients come out flat and clipping and AdamW are a dozen whole-model ops rather than a dozen per tensor.
 * Losses stay on the device until train.ts asks for them (at evaluations and checkpoints) and are then read with
 * one `await data()`; checkpoints read the state the same way. Float32 throughout, so it agrees with the host
 * loop (which rounds once per update, in float64) to within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { microBatches, windows } from './batches.ts';
import { parameterSpecs } from './config.ts';
import { lossFn, type HostParams, type Params } from './gpt.ts';
import { mean, stepLoss, type LoopSetup, type TrainLoop } from './train-loop.ts';

export function deviceLoop(setup: LoopSetup): TrainLoop {
  const { config, train, micro, trainStream, valStream, evalStarts, rng, dropout } = setup;
  const T = config.blockSize;
  const specs = parameterSpecs(config);
  const sizes = specs.map(({ shape }) => shape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);

  const upload = (host: HostParams): tf.Tensor1D => {
    const flat = new Float32Array(total);
    let offset = 0;
    for (const { name } of specs) {
      flat.set(host.get(name)!, offset);
      offset += host.get(name)!.length;
    }
    return tf.tensor1d(flat);
  };
  const download = async (flat: tf.Tensor1D): Promise<HostParams> => {
    const values = (await flat.data()) as Float32Array;
    let offset = 0;
    return new Map(specs.map(({ name }, i) => [name, values.slice(offset, (offset += sizes[i]))]));
  };
  const named = (flat: tf.Tensor): Params => {
    const parts = tf.split(flat, sizes);
    return Object.fromEntries(specs.map(({ name, shape }, i) => [name, tf.reshape(parts[i], shape)]));
  };

  let params = upload(setup.start.params);
  let m = upload(setup.start.m);
  let v = upload(setup.start.v);
  let best = setup.start.best && upload(setup.start.best);
  // 1 on the elements of the parameters weight decay applies to.
  const decayMask = tf.tensor1d(
    Float32Array.from(specs.flatMap(({ decay }, i) => Array<number>(sizes[i]).fill(decay ? 1 : 0))),
  );
  const pending: Array<{ values: tf.Tensor1D; weights: number[] }> = [];

  /** The summed gradient of the step's micro-batches (each weighted by its share of rows) and their losses. */
  const gradients = (): { grad: tf.Tensor1D; values: tf.Tensor1D; weights: number[] } => {
    let grad: tf.Tensor1D | undefined;
    const values: tf.Scalar[] = [];
    const weights: number[] = [];
    for (const { starts, weight } of microBatches(trainStream, train.batch_size, micro, rng)) {
      const next = tf.tidy(() => {
        const { x, y } = windows(trainStream.tokens, starts, T);
        const { value, grads } = tf.valueAndGrads((flat: tf.Tensor) => lossFn(config, named(flat), x, y, dropout))([
          params,
        ]);
        const scaled = weight === 1 ? grads[0] : tf.mul(grads[0], weight);
        return { value, sum: (grad ? tf.add(grad, scaled) : scaled) as tf.Tensor1D };
      });
      grad?.dispose();
      grad = next.sum;
      values.push(next.value);
      weights.push(weight);
    }
    const stacked = tf.stack(values) as tf.Tensor1D;
    tf.dispose(values);
    return { grad: grad!, values: stacked, weights };
  };

  return {
    step(lr, t) {
      const { grad, values, weights } = gradients();
      pending.push({ values, weights });
      const next = tf.tidy(() => {
        let g: tf.Tensor = grad;
        if (train.grad_clip > 0) {
          // min(1, c/(‖g‖ + 1e-6)): the host loop's clipping, which leaves g alone when the norm is small.
          g = tf.mul(g, tf.minimum(tf.div(train.grad_clip, tf.add(tf.sqrt(tf.sum(tf.square(g))), 1e-6)), 1));
        }
        const { beta1, beta2 } = train;
        const bc1 = 1 - beta1 ** t;
        const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const shrink = tf.sub(1, tf.mul(decayMask, lr * train.weight_decay));
        const update = tf.mul(tf.div(m1, tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), 1e-8)), lr / bc1);
        return { p: tf.sub(tf.mul(params, shrink), update) as tf.Tensor1D, m: m1 as tf.Tensor1D, v: v1 as tf.Tensor1D };
      });
      tf.dispose([grad, params, m, v]);
      ({ p: params, m, v } = next);
      return undefined;
    },
    async losses() {
      if (pending.length === 0) return [];
      const taken = pending.splice(0);
      const all = tf.concat(taken.map((p) => p.values));
      const values = await all.data();
      tf.dispose([all, ...taken.map((p) => p.values)]);
      let offset = 0;
      return taken.map((p) => stepLoss(values.subarray(offset, (offset += p.weights.length)), p.weights));
    },
    async evaluate() {
      const all = tf.tidy(() => {
        const current = named(params);
        return tf.stack(
          evalStarts.map((starts) => {
            const { x, y } = windows(valStream.tokens, starts, T);
            return lossFn(config, current, x, y);
          }),
        );
      });
      const values = await all.data();
      all.dispose();
      return mean(values);
    },
    keepBest() {
      best?.dispose();
      best = tf.clone(params);
    },
    async state() {
      return {
        params: await download(params),
        m: await download(m),
        v: await download(v),
        best: best && (await download(best)),
      };
    },
    result: () => download(best ?? params),
    dispose() {
      tf.dispose([params, m, v, decayMask, ...(best ? [best] : []), ...pending.splice(0).map((p) => p.values)]);
    },
  };
}
