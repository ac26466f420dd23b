/** The wasm kernel overrides (model/wasm-kernels.ts) against the plain JS backend, forward and gradient. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import { selectBackend, type BackendName } from '../model/backend.ts';

type Arrays = Array<{ shape: number[]; values: Float32Array | Int32Array }>;

/** Runs fn on a backend with inputs uploaded there; returns every output as host arrays. */
async function on(backend: BackendName, inputs: Arrays, fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await selectBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor(x.values, x.shape, x.values instanceof Int32Array ? 'int32' : 'float32'));
    return fn(...xs).map((t) => Float32Array.from(t.dataSync()));
  });
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

async function sameOnWasmAndCpu(t: import('ava').ExecutionContext, label: string, inputs: Arrays, fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const wasm = await on('wasm', inputs, fn);
  const cpu = await on('cpu', inputs, fn);
  t.is(wasm.length, cpu.length);
  wasm.forEach((w, i) => {
    t.is(w.length, cpu[i].length, `${label} output ${i} size`);
    const err = relativeError(w, cpu[i]);
    t.true(err <= 1e-4, `${label} output ${i}: relative error ${err}`);
  });
}

const rng = new Rng('model-kernels');
const randomArray = (shape: number[]): { shape: number[]; values: Float32Array } => ({
  shape,
  values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
});

/** Value and gradients (w.r.t. every float input) of sum(op(...) · w) for a fixed random w. */
function withGradients(op: (...xs: tf.Tensor[]) => tf.Tensor, weightSeed: string): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const out = op(...xs);
    const wRng = new Rng(weightSeed);
    const w = tf.tensor(Float32Array.from({ length: out.size }, () => wRng.normal()), out.shape);
    const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float32');
    const grads = tf.grads((...fs: tf.Tensor[]) => {
      const args = xs.slice();
      floats.forEach(([, i], k) => (args[i] = fs[k]));
      return tf.sum(tf.mul(op(...args), w));
    })(floats.map(([x]) => x));
    return [out, ...grads];
  };
}

test.serial('BatchMatMul: batched, broadcast and transposed operands', async (t) => {
  const batchCases: Array<[number[], number[]]> = [[[], []], [[3], [3]], [[2, 3], [2, 3]], [[4], []], [[], [4]], [[5], [1]]];
  for (const [batchA, batchB] of batchCases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const [M, K, N] = [rng.range(1, 17), rng.range(1, 33), rng.range(1, 17)];
        const a = randomArray([...batchA, ...(transposeA ? [K, M] : [M, K])]);
        const b = randomArray([...batchB, ...(transposeB ? [N, K] : [K, N])]);
        const op = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, transposeA, transposeB);
        // tfjs's matMul gradient does not handle broadcast batch dimensions on any backend: forward only there.
        const broadcast = batchA.join() !== batchB.join();
        await sameOnWasmAndCpu(t, `matMul ${a.shape} x ${b.shape} tA=${transposeA} tB=${transposeB}`, [a, b], broadcast ? (x, y) => [op(x, y)] : withGradients(op, `${a.shape}`));
      }
    }
  }
});

test.serial('BatchMatMul: weight-gradient shapes (computed as (Bᵀ·Aᵀ)ᵀ)', async (t) => {
  for (const batch of [[], [3]]) {
    const x = randomArray([...batch, 300, 5]);
    const dy = randomArray([...batch, 300, 40]);
    await sameOnWasmAndCpu(t, `xᵀ·dy ${x.shape} ${dy.shape}`, [x, dy], withGradients((p, q) => tf.matMul(p, q, true, false), `wg${batch}`));
    const w = randomArray([...batch, 6, 300]);
    await sameOnWasmAndCpu(t, `Aᵀ·Bᵀ ${dy.shape} ${w.shape}`, [dy, w], withGradients((p, q) => tf.matMul(p, q, true, true), `tt${batch}`));
  }
});

test.serial('BatchMatMul: the attention shapes of a small GPT', async (t) => {
  const q = randomArray([4, 2, 16, 8]);
  const k = randomArray([4, 2, 16, 8]);
  await sameOnWasmAndCpu(t, 'q·kᵀ', [q, k], withGradients((x, y) => tf.matMul(x, y, false, true), 'att'));
});

test.serial('Slice: random ranks, offsets and sizes', async (t) => {
  for (let trial = 0; trial < 24; trial++) {
    const rank = rng.range(1, 5);
    const shape = Array.from({ length: rank }, () => rng.range(1, 6));
    const begin = shape.map((d) => rng.int(d));
    const size = shape.map((d, i) => (rng.next() < 0.3 ? -1 : rng.range(0, d - begin[i])));
    const x = randomArray(shape);
    await sameOnWasmAndCpu(t, `slice ${shape} at ${begin} size ${size}`, [x], withGradients((y) => tf.slice(y, begin, size), `s${trial}`));
  }
  const ints = { shape: [3, 4], values: Int32Array.from({ length: 12 }, (_, i) => i * 7 - 20) };
  await sameOnWasmAndCpu(t, 'int32 slice', [ints], (y) => [tf.slice(y, [1, 1], [2, 2])]);
});

test.serial('SplitV: even and uneven splits along every axis', async (t) => {
  for (let trial = 0; trial < 12; trial++) {
    const rank = rng.range(1, 4);
    const shape = Array.from({ length: rank }, () => rng.range(2, 7));
    const axis = rng.int(rank);
    const d = shape[axis];
    const first = rng.range(1, d - 1);
    const sizes = [first, d - first];
    const x = randomArray(shape);
    const concatenated = (y: tf.Tensor): tf.Tensor => tf.concat(tf.split(y, sizes, axis).map((s, i) => tf.mul(s, i + 1)), axis);
    await sameOnWasmAndCpu(t, `split ${shape} axis ${axis} into ${sizes}`, [x], withGradients(concatenated, `v${trial}`));
  }
  const even = randomArray([4, 6]);
  await sameOnWasmAndCpu(t, 'split in 3', [even], (y) => tf.split(y, 3, 1));
});

test.serial('UnsortedSegmentSum, directly and as the gradient of gather', async (t) => {
  for (let trial = 0; trial < 6; trial++) {
    const rows = rng.range(1, 20);
    const segments = rng.range(1, 6);
    const x = randomArray([rows, rng.range(1, 5), 3]);
    const ids = { shape: [rows], values: Int32Array.from({ length: rows }, () => rng.int(segments)) };
    await sameOnWasmAndCpu(t, `segment sum ${x.shape} into ${segments}`, [x, ids], withGradients((y, i) => tf.unsortedSegmentSum(y, i as tf.Tensor1D, segments), `u${trial}`));
    const table = randomArray([segments, 4]);
    await sameOnWasmAndCpu(t, `gather gradient ${segments}`, [table, ids], withGradients((y, i) => tf.gather(y, i), `g${trial}`));
  }
});

test.serial('Identity and same-dtype Cast share data; other casts still convert', async (t) => {
  const x = randomArray([3, 5]);
  await sameOnWasmAndCpu(t, 'clone and casts', [x], (y) => [tf.clone(y), tf.cast(y, 'float32'), tf.cast(tf.cast(y, 'int32'), 'float32')]);
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const y = tf.tensor(x.values, x.shape);
  const buffers = tf.engine().backend.numDataIds();
  const z = tf.clone(y);
  t.is(tf.engine().backend.numDataIds(), buffers, 'the clone shares the buffer, it does not copy it');
  y.dispose(); // z keeps the shared data alive
  t.deepEqual(z.dataSync(), x.values);
  z.dispose();
  t.is(tf.memory().numTensors, before);
});

test.serial('Sum over leading, trailing, middle and scattered axes', async (t) => {
  const x = randomArray([6, 5, 4, 3]);
  const axesCases: Array<number | number[]> = [0, 3, -1, [0, 1], [1, 2], [2, 3], [0, 1, 2, 3], [0, 2]];
  for (const axis of axesCases) {
    for (const keepDims of [false, true]) {
      await sameOnWasmAndCpu(t, `sum axis ${axis} keepDims ${keepDims}`, [x], withGradients((y) => tf.sum(y, axis, keepDims), `sum${axis}`));
    }
  }
  await sameOnWasmAndCpu(t, 'sum of a scalar and of ints', [{ shape: [], values: Float32Array.of(2.5) }, { shape: [2, 3], values: Int32Array.of(1, 2, 3, 4, 5, 6) }], (s, i) => [tf.sum(s), tf.sum(i, 0)]);
});
