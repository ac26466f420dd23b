/**
 * The wasm backend's kernels against the plain JS backend, forward and gradient, with each of its kernel sets: the
 * WebAssembly overrides (model/wasm-kernels.ts) and the native ones (OpenBLAS and native/kernels.c, with the fused
 * ops of model/ops.ts, which the plain JS backend computes with composite ops).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import { selectBackend } from '../model/backend.ts';
import { selectKernels, DEFAULT_KERNELS } from '../model/kernel-set.ts';
import { cachedSelfAttention, causalSelfAttention, crossEntropy, gelu, layerNorm, linear } from '../model/ops.ts';
import { kernelSetsHere } from './fixtures/native.ts';

type Arrays = Array<{ shape: number[]; values: Float32Array | Int32Array }>;
type KernelSetName = 'cpu' | 'wasm' | 'native';
const WASM_SETS = kernelSetsHere();

/** Runs fn on a backend and kernel set with inputs uploaded there; returns every output as host arrays. */
async function on(
  set: KernelSetName,
  inputs: Arrays,
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  const { name } = await selectBackend(set === 'cpu' ? 'cpu' : 'wasm');
  if (set !== 'cpu') selectKernels(name, { ...DEFAULT_KERNELS, kernels: set }); // throws when native cannot load
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

/** fn on each of the wasm backend's kernel sets (or the ones given) against the plain JS backend. */
async function sameOnWasmAndCpu(
  t: import('ava').ExecutionContext,
  label: string,
  inputs: Arrays,
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
  sets: readonly KernelSetName[] = WASM_SETS,
): Promise<void> {
  const cpu = await on('cpu', inputs, fn);
  for (const set of sets) {
    const wasm = await on(set, inputs, fn);
    t.is(wasm.length, cpu.length);
    wasm.forEach((w, i) => {
      t.is(w.length, cpu[i].length, `${set}: ${label} output ${i} size`);
      const err = relativeError(w, cpu[i]);
      t.true(err <= 1e-4, `${set}: ${label} output ${i}: relative error ${err}`);
    });
  }
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
    const w = tf.tensor(
      Float32Array.from({ length: out.size }, () => wRng.normal()),
      out.shape,
    );
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
  const batchCases: Array<[number[], number[]]> = [
    [[], []],
    [[3], [3]],
    [
      [2, 3],
      [2, 3],
    ],
    [[4], []],
    [[], [4]],
    [[5], [1]],
  ];
  for (const [batchA, batchB] of batchCases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const [M, K, N] = [rng.range(1, 17), rng.range(1, 33), rng.range(1, 17)];
        const a = randomArray([...batchA, ...(transposeA ? [K, M] : [M, K])]);
        const b = randomArray([...batchB, ...(transposeB ? [N, K] : [K, N])]);
        const op = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, transposeA, transposeB);
        // tfjs's matMul gradient does not handle broadcast batch dimensions on any backend: forward only there.
        const broadcast = batchA.join() !== batchB.join();
        await sameOnWasmAndCpu(
          t,
          `matMul ${a.shape} x ${b.shape} tA=${transposeA} tB=${transposeB}`,
          [a, b],
          broadcast ? (x, y) => [op(x, y)] : withGradients(op, `${a.shape}`),
        );
      }
    }
  }
});

test.serial('BatchMatMul: weight-gradient shapes (computed as (Bᵀ·Aᵀ)ᵀ)', async (t) => {
  for (const batch of [[], [3]]) {
    const x = randomArray([...batch, 300, 5]);
    const dy = randomArray([...batch, 300, 40]);
    await sameOnWasmAndCpu(
      t,
      `xᵀ·dy ${x.shape} ${dy.shape}`,
      [x, dy],
      withGradients((p, q) => tf.matMul(p, q, true, false), `wg${batch}`),
    );
    const w = randomArray([...batch, 6, 300]);
    await sameOnWasmAndCpu(
      t,
      `Aᵀ·Bᵀ ${dy.shape} ${w.shape}`,
      [dy, w],
      withGradients((p, q) => tf.matMul(p, q, true, true), `tt${batch}`),
    );
  }
});

test.serial(
  'BatchMatMul: edge shapes (K = 1, one row or column, a batch of 1, a batch broadcast from one item)',
  async (t) => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[1, 5, 1], [1, 1, 7], false, false],
      [[5, 1], [1, 7], false, false],
      [[1, 9], [9, 1], false, false],
      [[7, 1, 6], [6, 4], false, false],
      [[3, 1, 5], [3, 4, 1], true, true],
      [[1, 1, 3], [2, 1, 4], true, false],
    ];
    for (const [shapeA, shapeB, transposeA, transposeB] of cases) {
      const op = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, transposeA, transposeB);
      const [a, b] = [randomArray(shapeA), randomArray(shapeB)];
      const broadcast = shapeA.length !== shapeB.length || shapeA[0] !== shapeB[0];
      await sameOnWasmAndCpu(
        t,
        `matMul ${shapeA} x ${shapeB} tA=${transposeA} tB=${transposeB}`,
        [a, b],
        broadcast ? (x, y) => [op(x, y)] : withGradients(op, `${shapeA}`),
      );
    }
  },
);

test.serial('fused linear, LayerNorm and GELU: value and gradients, random shapes', async (t) => {
  for (let trial = 0; trial < 6; trial++) {
    const [rows, inDim, outDim] = [rng.range(1, 40), rng.range(1, 24), rng.range(1, 24)];
    const [x, w, b] = [randomArray([rows, inDim]), randomArray([inDim, outDim]), randomArray([outDim])];
    await sameOnWasmAndCpu(
      t,
      `linear ${rows}x${inDim}x${outDim}`,
      [x, w, b],
      withGradients((p, q, r) => linear(p, q, r), `lin${trial}`),
    );
    const [g, beta] = [randomArray([inDim]), randomArray([inDim])];
    await sameOnWasmAndCpu(
      t,
      `layerNorm ${rows}x${inDim}`,
      [x, g, beta],
      withGradients((p, q, r) => layerNorm(p, q, r), `ln${trial}`),
    );
    await sameOnWasmAndCpu(
      t,
      `gelu ${rows}x${inDim}`,
      [x],
      withGradients((p) => gelu(p), `gelu${trial}`),
    );
  }
});

test.serial('fused causal self-attention: value and gradient, one head to several, T = 1 to 17', async (t) => {
  for (const [B, T, H, hd] of [
    [1, 1, 1, 4],
    [2, 5, 1, 3],
    [3, 17, 4, 2],
    [2, 16, 2, 8],
  ]) {
    const qkv = randomArray([B * T, 3 * H * hd]);
    await sameOnWasmAndCpu(
      t,
      `attention B${B} T${T} H${H} hd${hd}`,
      [qkv],
      withGradients((x) => causalSelfAttention(x as tf.Tensor2D, B, T, H), `att${B}${T}`),
    );
  }
});

test.serial(
  'fused cached attention (one decoding step): output and extended caches, from an empty cache and a long one',
  async (t) => {
    for (const [N, H, hd, past] of [
      [1, 1, 4, 0],
      [5, 2, 3, 1],
      [7, 4, 2, 9],
    ]) {
      const qkv = randomArray([N, 3 * H * hd]);
      const [k, v] = [randomArray([N, H, past, hd]), randomArray([N, H, past, hd])];
      await sameOnWasmAndCpu(t, `cached attention N${N} H${H} hd${hd} t${past}`, [qkv, k, v], (x, kp, vp) => {
        const { y, cache } = cachedSelfAttention(
          x as tf.Tensor2D,
          H,
          past > 0 ? { k: kp as tf.Tensor4D, v: vp as tf.Tensor4D } : undefined,
        );
        return [y, cache.k, cache.v];
      });
    }
  },
);

test.serial('fused cross-entropy: value and gradient', async (t) => {
  for (const [rows, V] of [
    [1, 2],
    [37, 8],
    [64, 11],
  ]) {
    const logits = randomArray([rows, V]);
    const targets = { shape: [rows], values: Int32Array.from({ length: rows }, () => rng.int(V)) };
    await sameOnWasmAndCpu(
      t,
      `cross-entropy ${rows}x${V}`,
      [logits, targets],
      withGradients((l, y) => crossEntropy(l as tf.Tensor2D, y as tf.Tensor1D), `ce${rows}`),
    );
  }
});

test.serial('BatchMatMul: the attention shapes of a small GPT', async (t) => {
  const q = randomArray([4, 2, 16, 8]);
  const k = randomArray([4, 2, 16, 8]);
  await sameOnWasmAndCpu(
    t,
    'q·kᵀ',
    [q, k],
    withGradients((x, y) => tf.matMul(x, y, false, true), 'att'),
  );
});

test.serial('Slice: random ranks, offsets and sizes', async (t) => {
  for (let trial = 0; trial < 24; trial++) {
    const rank = rng.range(1, 5);
    const shape = Array.from({ length: rank }, () => rng.range(1, 6));
    const begin = shape.map((d) => rng.int(d));
    const size = shape.map((d, i) => (rng.next() < 0.3 ? -1 : rng.range(0, d - begin[i])));
    const x = randomArray(shape);
    await sameOnWasmAndCpu(
      t,
      `slice ${shape} at ${begin} size ${size}`,
      [x],
      withGradients((y) => tf.slice(y, begin, size), `s${trial}`),
    );
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
    const concatenated = (y: tf.Tensor): tf.Tensor =>
      tf.concat(
        tf.split(y, sizes, axis).map((s, i) => tf.mul(s, i + 1)),
        axis,
      );
    await sameOnWasmAndCpu(
      t,
      `split ${shape} axis ${axis} into ${sizes}`,
      [x],
      withGradients(concatenated, `v${trial}`),
    );
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
    await sameOnWasmAndCpu(
      t,
      `segment sum ${x.shape} into ${segments}`,
      [x, ids],
      withGradients((y, i) => tf.unsortedSegmentSum(y, i as tf.Tensor1D, segments), `u${trial}`),
    );
    const table = randomArray([segments, 4]);
    await sameOnWasmAndCpu(
      t,
      `gather gradient ${segments}`,
      [table, ids],
      withGradients((y, i) => tf.gather(y, i), `g${trial}`),
    );
  }
});

test.serial(
  'GatherV2: rows along the first axis of 1-D to 4-D tensors, repeated and reordered; other axes',
  async (t) => {
    for (const shape of [[5], [6, 3], [4, 2, 3], [7, 2, 3, 2]]) {
      const x = randomArray(shape);
      const ids = { shape: [6], values: Int32Array.from({ length: 6 }, () => rng.int(shape[0])) };
      await sameOnWasmAndCpu(t, `gather rows of ${shape}`, [x, ids], (y, i) => [tf.gather(y, i)]);
      if (shape.length > 1) {
        const cols = { shape: [2], values: Int32Array.of(shape[1] - 1, 0) };
        await sameOnWasmAndCpu(t, `gather along axis 1 of ${shape}`, [x, cols], (y, i) => [tf.gather(y, i, 1)]);
      }
    }
    await sameOnWasmAndCpu(
      t,
      'gather int32 rows',
      [
        { shape: [3, 2], values: Int32Array.of(1, 2, 3, 4, 5, 6) },
        { shape: [2], values: Int32Array.of(2, 0) },
      ],
      (y, i) => [tf.gather(y, i)],
    );
  },
);

test.serial('Identity and same-dtype Cast share data; other casts still convert', async (t) => {
  const x = randomArray([3, 5]);
  await sameOnWasmAndCpu(t, 'clone and casts', [x], (y) => [
    tf.clone(y),
    tf.cast(y, 'float32'),
    tf.cast(tf.cast(y, 'int32'), 'float32'),
  ]);
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
      await sameOnWasmAndCpu(
        t,
        `sum axis ${axis} keepDims ${keepDims}`,
        [x],
        withGradients((y) => tf.sum(y, axis, keepDims), `sum${axis}`),
      );
    }
  }
  await sameOnWasmAndCpu(
    t,
    'sum of a scalar and of ints',
    [
      { shape: [], values: Float32Array.of(2.5) },
      { shape: [2, 3], values: Int32Array.of(1, 2, 3, 4, 5, 6) },
    ],
    (s, i) => [tf.sum(s), tf.sum(i, 0)],
  );
});
