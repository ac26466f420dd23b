/**
 * Kernel fixes for the WebAssembly backend (measured in docs/tfjs-on-cpu.md):
 * - BatchMatMul: the shipped kernel uses XNNPACK only for one batch item without transposes, otherwise a scalar
 *   loop ~10x slower. Here transposes are materialised with the (fast) Transpose kernel and the XNNPACK path is
 *   called once per batch item on tensor ids registered as views into the wasm heap.
 * - Slice / SplitV: the shipped kernels copy the whole input out of the heap on every call; these read heap views.
 * - UnsortedSegmentSum: not registered for wasm at all, so the gradient of tf.gather fails.
 * - Sum (float32 over one contiguous block of axes): the shipped kernel took ~35 ms to reduce a 4096x256 matrix
 *   over its rows (every bias gradient does that); a loop over the heap takes ~1 ms.
 * - GatherV2 along the first axis (the sampler dropping finished sequences from its KV cache): the shipped kernel
 *   walks every element through index arithmetic; rows are copied whole here.
 * - Identity, and Cast to the same dtype: the engine clones every tensor it saves for a backward pass, and the
 *   shipped kernels copy the data; tensors are immutable, so these share it as the plain JS backend does.
 * With the native addon (native.ts), BatchMatMul calls OpenBLAS's sgemm on the heap instead (transposes as flags,
 * the batch loop in C), and the fused kernels of fused-kernels.ts are registered too.
 * Each is checked against the plain JS backend in test/model-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, NamedAttrMap, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import { FUSED, setFusedKernels } from './fused-kernels.ts';
import type { NativeAddon } from './native.ts';

interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/** The parts of the (untyped-internals) wasm backend these kernels use. */
interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): TypedArray;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}
type WasmKernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

const OVERRIDES = [
  'BatchMatMul',
  'Slice',
  'SplitV',
  'UnsortedSegmentSum',
  'Sum',
  'GatherV2',
  'Identity',
  'Cast',
] as const;
let installed = false;
let native: NativeAddon | undefined;
let wasmBatchMatMul: (...args: unknown[]) => void;
let transposeKernel: WasmKernel;
let sliceFallback: WasmKernel;
let castFallback: WasmKernel;
let sumFallback: WasmKernel;
let gatherFallback: WasmKernel;

/**
 * Replaces the wasm kernels above, on the native addon when one is given (the wasm backend must be initialised).
 * Idempotent; a later call switches between native and WebAssembly. Returns the names of the kernels replaced or added.
 */
export function installWasmKernels(addon?: NativeAddon): string[] {
  const names = (): string[] => [...OVERRIDES, ...(native ? Object.values(FUSED) : [])];
  if (installed && addon === native) return names();
  native = addon;
  setFusedKernels(addon);
  if (installed) return names();
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  if (!backend) throw new Error('installWasmKernels: the wasm backend is not initialised');
  // Same signature the shipped kernel binds: (a_id, a_shape, a_rank, b_id, b_shape, b_rank, transA, transB, out_id).
  wasmBatchMatMul = backend.wasm.cwrap('BatchMatMul', null, [
    'number',
    'array',
    'number',
    'number',
    'array',
    'number',
    'number',
    'number',
    'number',
  ]);
  transposeKernel = shippedKernel('Transpose');
  sliceFallback = shippedKernel('Slice');
  castFallback = shippedKernel('Cast');
  sumFallback = shippedKernel('Sum');
  gatherFallback = shippedKernel('GatherV2');
  const kernels: Record<(typeof OVERRIDES)[number], WasmKernel> = {
    BatchMatMul: batchMatMul,
    Slice: slice,
    SplitV: splitV,
    UnsortedSegmentSum: unsortedSegmentSum,
    Sum: sum,
    GatherV2: gatherRows,
    Identity: identity,
    Cast: cast,
  };
  for (const name of OVERRIDES) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernels[name] as unknown as tf.KernelFunc });
  }
  installed = true;
  return names();
}

/** The native addon the kernels run on, when the native kernel set is installed. */
export function installedNative(): NativeAddon | undefined {
  return native;
}

function shippedKernel(name: string): WasmKernel {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as WasmKernel;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/** Registers a tensor id for `size` floats starting `elementOffset` floats into `info`'s buffer. */
function view(backend: WasmBackend, info: TensorInfo, elementOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, backend.dataIdMap.get(info.dataId).memoryOffset + 4 * elementOffset);
  return id;
}

function transposeLastTwo(
  backend: WasmBackend,
  info: TensorInfo,
  batch: number,
  rows: number,
  cols: number,
): TensorInfo {
  const x: TensorInfo = { dataId: info.dataId, shape: [batch, rows, cols], dtype: info.dtype };
  return transposeKernel({ inputs: { x }, backend, attrs: { perm: [0, 2, 1] } }) as TensorInfo;
}

function batchMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { a, b } = inputs;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('BatchMatMul: only float32 is supported');
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb)
    throw new Error(
      `Error in matMul: inner shapes (${K}) and (${Kb}) of Tensors with shapes ${a.shape} and ${b.shape} must match`,
    );
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(outer);
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    throw new Error(`BatchMatMul: broadcasting ${a.shape} with ${b.shape} is not supported`);
  }
  const outShape = [...outer, M, N];
  if (batch * M * N === 0 || K === 0) {
    const empty = backend.makeOutput(outShape, 'float32');
    backend.typedArrayFromHeap(empty).fill(0);
    return empty;
  }
  if (native) {
    const out = backend.makeOutput(outShape, 'float32');
    const offset = (info: TensorInfo): number => backend.dataIdMap.get(info.dataId).memoryOffset;
    native.gemm(
      backend.wasm.HEAPU8.buffer as ArrayBuffer,
      batch,
      M,
      N,
      K,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      offset(a),
      batchA === 1 ? 0 : M * K,
      offset(b),
      batchB === 1 ? 0 : K * N,
      offset(out),
      M * N,
    );
    return out;
  }
  // XNNPACK packs its right operand (transposing it as it goes) on every call, which dominates when that operand
  // is large and the other small (x^T·dy weight gradients). Then compute out^T = B^T·A^T and transpose the
  // result back. Costs below count elements moved: transposes, plus packing weighted 2x.
  const direct =
    (transposeA ? M * K * batchA : 0) + (transposeB ? K * N * batchB : 0) + 2 * K * N * (batchB === 1 ? 1 : batch);
  const flipped =
    (transposeB ? 0 : K * N * batchB) +
    (transposeA ? 0 : M * K * batchA) +
    2 * K * M * (batchA === 1 ? 1 : batch) +
    M * N * batch;
  const temporaries: TensorInfo[] = [];
  const materialise = (
    info: TensorInfo,
    needed: boolean,
    batchSize: number,
    rows: number,
    cols: number,
  ): TensorInfo => {
    if (!needed) return info;
    const transposed = transposeLastTwo(backend, info, batchSize, rows, cols);
    temporaries.push(transposed);
    return transposed;
  };
  let out: TensorInfo;
  if (direct <= flipped) {
    out = backend.makeOutput(outShape, 'float32');
    gemm(
      backend,
      materialise(a, transposeA, batchA, K, M),
      batchA,
      materialise(b, transposeB, batchB, N, K),
      batchB,
      M,
      K,
      N,
      out,
      batch,
    );
  } else {
    const outT = backend.makeOutput([batch, N, M], 'float32');
    temporaries.push(outT);
    gemm(
      backend,
      materialise(b, !transposeB, batchB, K, N),
      batchB,
      materialise(a, !transposeA, batchA, M, K),
      batchA,
      N,
      K,
      M,
      outT,
      batch,
    );
    out = transposeLastTwo(backend, outT, batch, N, M);
    out.shape = outShape;
  }
  for (const t of temporaries) backend.disposeData(t.dataId);
  return out;
}

/**
 * out[i] = lhs[i]·rhs[i] for row-major lhs [lhsBatch, M, K], rhs [rhsBatch, K, N] (batch 1 broadcasts) with the
 * XNNPACK path, one call per batch item on views into the heap.
 */
function gemm(
  backend: WasmBackend,
  lhs: TensorInfo,
  lhsBatch: number,
  rhs: TensorInfo,
  rhsBatch: number,
  M: number,
  K: number,
  N: number,
  out: TensorInfo,
  batch: number,
): void {
  // One right operand for every batch item: fold the batch into the rows of a single call.
  const calls = rhsBatch === 1 ? 1 : batch;
  const rows = rhsBatch === 1 ? batch * M : M;
  const lhsShape = shapeBytes([1, rows, K]);
  const rhsShape = shapeBytes([1, K, N]);
  for (let i = 0; i < calls; i++) {
    // Fresh ids each call: XNNPACK caches packed weights per id, and reshapes share ids across shapes.
    const lhsId = view(backend, lhs, lhsBatch === 1 ? 0 : i * M * K, rows * K);
    const rhsId = view(backend, rhs, rhsBatch === 1 ? 0 : i * K * N, K * N);
    const outId = view(backend, out, i * rows * N, rows * N);
    wasmBatchMatMul(lhsId, lhsShape, 3, rhsId, rhsShape, 3, false, false, outId);
    for (const id of [lhsId, rhsId, outId]) backend.wasm.tfjs.disposeData(id);
  }
}

/** Copies x[begin : begin+size] into out, reading straight from the heap, row by contiguous row. */
function sliceInto(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[], out: TensorInfo): void {
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = tf.util.computeStrides(x.shape);
  const stride = (d: number): number => (d === rank - 1 ? 1 : strides[d]);
  // A row spans dimension d and every later dimension that is taken whole.
  let d = rank - 1;
  let rowLength = size[d];
  while (d > 0 && size[d] === x.shape[d]) rowLength *= size[--d];
  const index = new Array<number>(d).fill(0);
  const total = sizeOf(size);
  for (let written = 0; written < total; written += rowLength) {
    let offset = begin[d] * stride(d);
    for (let j = 0; j < d; j++) offset += (begin[j] + index[j]) * stride(j);
    dst.set(src.subarray(offset, offset + rowLength), written);
    for (let j = d - 1; j >= 0; j--) {
      if (++index[j] < size[j]) break;
      index[j] = 0;
    }
  }
}

function slice(args: KernelArgs): TensorInfo {
  const {
    inputs: { x },
    attrs,
    backend,
  } = args;
  if (x.dtype === 'string') return sliceFallback(args) as TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.TensorInfo as tf.Tensor,
    attrs.begin as number[],
    attrs.size as number[],
  );
  const out = backend.makeOutput(size, x.dtype);
  if (sizeOf(size) > 0) sliceInto(backend, x, begin, size, out);
  return out;
}

function splitV(args: KernelArgs): TensorInfo[] {
  const {
    inputs: { x },
    attrs,
    backend,
  } = args;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.TensorInfo as tf.Tensor,
    attrs.numOrSizeSplits as number[] | number,
    axis,
  );
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const piece = slice({ inputs: { x }, attrs: { begin: begin.slice(), size }, backend });
    begin[axis] += s;
    return piece;
  });
}

function unsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): TensorInfo {
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  const idCount = sizeOf(segmentIds.shape);
  const inner = idCount === 0 ? 0 : sizeOf(x.shape) / idCount;
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  for (let i = 0; i < idCount; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue; // TensorFlow drops out-of-range ids
    const from = i * inner;
    const to = segment * inner;
    for (let j = 0; j < inner; j++) dst[to + j] += src[from + j];
  }
  return out;
}

/** Rows of x along its first axis, x[indices[i]] for each i; anything else (another axis, batch dims) is shipped. */
function gatherRows(args: KernelArgs): TensorInfo {
  const {
    inputs: { x, indices },
    attrs,
    backend,
  } = args;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  if (axis !== 0 || attrs.batchDims || x.dtype === 'string' || x.dtype === 'complex64' || indices.shape.length !== 1)
    return gatherFallback(args) as TensorInfo;
  const rowSize = sizeOf(x.shape.slice(1));
  const ids = backend.typedArrayFromHeap(indices);
  if (ids.some((id) => id < 0 || id >= x.shape[0])) return gatherFallback(args) as TensorInfo; // its error names the index
  const out = backend.makeOutput([ids.length, ...x.shape.slice(1)], x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  ids.forEach((id, i) => dst.set(src.subarray(id * rowSize, (id + 1) * rowSize), i * rowSize));
  return out;
}

function identity({ inputs: { x }, backend }: KernelArgs): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function cast(args: KernelArgs): TensorInfo {
  return args.attrs.dtype === args.inputs.x.dtype ? identity(args) : (castFallback(args) as TensorInfo);
}

/** Sum over a contiguous block of axes: x viewed as [outer, reduced, inner] sums to [outer, inner]. */
function sum(args: KernelArgs): TensorInfo {
  const {
    inputs: { x },
    attrs,
    backend,
  } = args;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (x.dtype !== 'float32' || axes.length === 0 || !contiguous) return sumFallback(args) as TensorInfo;
  const outer = sizeOf(x.shape.slice(0, axes[0]));
  const reduced = sizeOf(axes.map((a) => x.shape[a]));
  const inner = sizeOf(x.shape.slice(axes[axes.length - 1] + 1));
  const shape = attrs.keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.makeOutput(shape, 'float32');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * reduced * inner;
    if (inner === 1) {
      let total = 0;
      for (let r = 0; r < reduced; r++) total += src[base + r];
      dst[o] = total;
      continue;
    }
    acc.fill(0);
    for (let r = 0; r < reduced; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i] += src[row + i];
    }
    dst.set(acc, o * inner);
  }
  return out;
}
