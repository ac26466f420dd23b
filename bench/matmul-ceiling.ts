/**
 * The matmul ceiling of a training step, for `npm run bench -- model`: the BatchMatMul calls one forward and
 * backward pass of model/gpt.ts issues are recorded, then replayed alone on the active backend. Their time is what
 * a step would cost if every other op were free, so batch·block tokens over it bounds the tokens/s any change
 * outside the matmul kernel could reach. bench/torch_gpt.py --matmuls replays the same calls with PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import type { GPTConfig } from '../model/config.ts';
import { initParameters, lossFn, toTensors } from '../model/gpt.ts';

/** One BatchMatMul as the kernel received it (operands of rank 2 or more; leading dimensions are batch). */
export interface MatMulCall {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** The matmuls of one forward + backward pass of `batch` windows of blockSize tokens. */
export function stepMatMuls(config: GPTConfig, batch: number): MatMulCall[] {
  const backendName = tf.getBackend();
  const kernel = tf.getKernel('BatchMatMul', backendName);
  if (!kernel) throw new Error(`the ${backendName} backend has no BatchMatMul kernel`);
  const calls: MatMulCall[] = [];
  const params = toTensors(config, initParameters(config, new Rng('matmul-ceiling')));
  tf.unregisterKernel('BatchMatMul', backendName);
  try {
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
        calls.push({ a: [...a.shape], b: [...b.shape], transposeA: Boolean(args.attrs?.transposeA), transposeB: Boolean(args.attrs?.transposeB) });
        return kernel.kernelFunc(args);
      },
    });
    tf.tidy(() => {
      const T = config.blockSize;
      const tokens = (): tf.Tensor2D => tf.randomUniformInt([batch, T], 0, config.vocabSize, 1) as tf.Tensor2D;
      const names = Object.keys(params);
      const f = (...ps: tf.Tensor[]): tf.Scalar => lossFn(config, Object.fromEntries(names.map((n, i) => [n, ps[i]])), tokens(), tokens());
      tf.valueAndGrads(f)(names.map((n) => params[n]));
    });
  } finally {
    tf.dispose(Object.values(params));
    tf.unregisterKernel('BatchMatMul', backendName);
    tf.registerKernel(kernel);
  }
  return calls;
}

/** Floating-point operations of one call (2·M·K·N per batch item). */
export function matMulFlops({ a, b, transposeA, transposeB }: MatMulCall): number {
  const size = (dims: number[]): number => dims.reduce((x, y) => x * y, 1);
  const [ra, rb] = [a.length, b.length];
  const M = transposeA ? a[ra - 1] : a[ra - 2];
  const K = transposeA ? a[ra - 2] : a[ra - 1];
  const N = transposeB ? b[rb - 2] : b[rb - 1];
  return 2 * Math.max(size(a.slice(0, -2)), size(b.slice(0, -2))) * M * K * N;
}

/**
 * The kind of product, by how the kernel was called: batched ones are attention's; among 2-D ones, Aᵀ·B is a weight
 * gradient, A·Bᵀ an input gradient (or the tied head's forward), A·B a forward linear layer or embedding (or the
 * tied head's input gradient, dy·wte).
 */
export function matMulKind({ a, b, transposeA, transposeB }: MatMulCall): string {
  if (a.length > 2 && a.slice(0, -2).some((d) => d > 1)) return 'batched (attention)';
  if (b.length > 2 && b.slice(0, -2).some((d) => d > 1)) return 'batched (attention)';
  if (transposeA) return 'Aᵀ·B (weight gradients)';
  if (transposeB) return 'A·Bᵀ (input gradients, head)';
  return 'A·B (forward)';
}

/** Median ms of each call over `rounds` replays after one warm-up (inputs made beforehand). */
export function replayMs(calls: readonly MatMulCall[], rounds: number): number[] {
  // CPU backends compute inside the call; a queued (GPU) one must be waited for, which costs a read-back.
  const queued = !['wasm', 'cpu', 'tensorflow'].includes(tf.getBackend());
  const operands = calls.map(({ a, b }) => [tf.randomNormal(a, 0, 1, 'float32', 1), tf.randomNormal(b, 0, 1, 'float32', 2)] as const);
  const times = calls.map((): number[] => []);
  try {
    for (let round = 0; round <= rounds; round++) {
      calls.forEach(({ transposeA, transposeB }, i) => {
        const start = performance.now();
        const out = tf.matMul(operands[i][0], operands[i][1], transposeA, transposeB);
        if (queued) out.dataSync();
        if (round > 0) times[i].push(performance.now() - start);
        out.dispose();
      });
    }
  } finally {
    tf.dispose(operands.flat());
  }
  return times.map((t) => [...t].sort((x, y) => x - y)[Math.floor(t.length / 2)]);
}
