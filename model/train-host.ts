/**
 * The host training loop (train-loop.ts): parameters, AdamW moments and gradient accumulators are Float32Arrays.
 * Every step uploads the parameters, reads each micro-batch's gradients back and accumulates them into buffers
 * allocated once per run, clips and runs AdamW on the host: in the native addon when the native kernels are installed,
 * else in JavaScript (the same arithmetic, so the same bits). On wasm and cpu the read-backs cost little next to the
 * forward/backward pass and keep tf op overhead off the small models (bench/model.ts prints both loops). It reads
 * back synchronously, which the webgpu backend cannot do.
 */
import * as tf from '@tensorflow/tfjs';
import { microBatches, windows } from './batches.ts';
import type { TrainSection } from './config.ts';
import { parameterSpecs } from './config.ts';
import { lossFn, toTensors, type HostParams } from './gpt.ts';
import { mean, stepLoss, type LoopSetup, type TrainLoop } from './train-loop.ts';
import { installedNative } from './wasm-kernels.ts';

export function hostLoop(setup: LoopSetup): TrainLoop {
  const { config, train, micro, trainStream, valStream, evalStarts, rng, dropout } = setup;
  const { params, m, v } = setup.start;
  let best = setup.start.best;
  const T = config.blockSize;
  const specs = parameterSpecs(config);
  const names = specs.map(({ name }) => name);
  const decays = specs.map(({ decay }) => decay);
  const inOrder = (state: HostParams): Float32Array[] => names.map((name) => state.get(name)!);
  // Gradient accumulators, reused by every step (at paper scale they are tens of MB).
  const grads = specs.map(({ shape }) => new Float32Array(shape.reduce((a, b) => a * b, 1)));

  /** The step's mean loss, returned, and its gradient, written into `grads`. */
  const gradients = (): number => {
    for (const g of grads) g.fill(0);
    const current = toTensors(config, params);
    const xs = names.map((n) => current[n]);
    const values: number[] = [];
    const weights: number[] = [];
    try {
      for (const { starts, weight } of microBatches(trainStream, train.batch_size, micro, rng)) {
        tf.tidy(() => {
          const { x, y } = windows(trainStream.tokens, starts, T);
          const f = (...ps: tf.Tensor[]): tf.Scalar =>
            lossFn(config, Object.fromEntries(names.map((n, i) => [n, ps[i]])), x, y, dropout);
          const { value, grads: g } = tf.valueAndGrads(f)(xs);
          values.push(value.dataSync()[0]);
          weights.push(weight);
          g.forEach((gi, i) => {
            const data = gi.dataSync();
            const acc = grads[i];
            if (weight === 1) acc.set(data);
            else for (let j = 0; j < acc.length; j++) acc[j] += weight * data[j];
          });
        });
      }
    } finally {
      tf.dispose(xs);
    }
    return stepLoss(values, weights);
  };

  return {
    step(lr, t) {
      const loss = gradients();
      const native = tf.getBackend() === 'wasm' ? installedNative() : undefined;
      if (native) {
        if (train.grad_clip > 0) native.clipByGlobalNorm(grads, train.grad_clip);
        const { bc1, bc2Sqrt } = biasCorrections(train, t);
        native.adamW(
          inOrder(params),
          inOrder(m),
          inOrder(v),
          grads,
          decays,
          lr,
          train.beta1,
          train.beta2,
          train.weight_decay,
          bc1,
          bc2Sqrt,
        );
      } else {
        clipByGlobalNorm(grads, train.grad_clip);
        adamW(params, m, v, grads, names, decays, lr, t, train);
      }
      return loss;
    },
    losses: async () => [],
    async evaluate() {
      const current = toTensors(config, params);
      try {
        return mean(
          evalStarts.map((starts) =>
            tf.tidy(() => {
              const { x, y } = windows(valStream.tokens, starts, T);
              return lossFn(config, current, x, y).dataSync()[0];
            }),
          ),
        );
      } finally {
        tf.dispose(Object.values(current));
      }
    },
    keepBest() {
      best = copyParams(params);
    },
    state: async () => ({ params, m, v, best }),
    result: async () => best ?? params,
    dispose() {},
  };
}

export function clipByGlobalNorm(grads: Float32Array[], maxNorm: number): void {
  if (!(maxNorm > 0)) return;
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const coef = maxNorm / (Math.sqrt(sq) + 1e-6);
  if (coef >= 1) return;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
}

/** PyTorch's AdamW: p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + ε), with decay only where the parameter's spec says (`decays`). */
export function adamW(
  params: HostParams,
  m: HostParams,
  v: HostParams,
  grads: Float32Array[],
  names: string[],
  decays: boolean[],
  lr: number,
  t: number,
  train: TrainSection,
): void {
  const { beta1, beta2 } = train;
  const { bc1, bc2Sqrt } = biasCorrections(train, t);
  const eps = 1e-8;
  names.forEach((name, k) => {
    const p = params.get(name)!;
    const mk = m.get(name)!;
    const vk = v.get(name)!;
    const g = grads[k];
    const shrink = decays[k] ? 1 - lr * train.weight_decay : 1;
    for (let i = 0; i < p.length; i++) {
      mk[i] = beta1 * mk[i] + (1 - beta1) * g[i];
      vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i];
      p[i] = p[i] * shrink - (lr / bc1) * (mk[i] / (Math.sqrt(vk[i]) / bc2Sqrt + eps));
    }
  });
}

/** Adam's bias corrections at update t: 1 − beta1^t and sqrt(1 − beta2^t). */
function biasCorrections(train: TrainSection, t: number): { bc1: number; bc2Sqrt: number } {
  return { bc1: 1 - train.beta1 ** t, bc2Sqrt: Math.sqrt(1 - train.beta2 ** t) };
}

function copyParams(params: HostParams): HostParams {
  return new Map([...params].map(([name, values]) => [name, values.slice()]));
}
