/**
 * The fused kernels of the GPT's parts on the WebAssembly backend, computed by the native addon (native/kernels.c)
 * on the backend's heap. Each is one tfjs kernel where the composite version in ops.ts is 2–12: at the default
 * model's size the per-op cost of tfjs, not arithmetic, is most of a step. ops.ts uses a fused kernel when it is
 * registered for the active backend and the composite ops otherwise; test/model-kernels.test.ts checks each
 * against the plain JS backend's composite result.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { NativeAddon } from './native.ts';

/** The parts of the wasm backend these kernels use. */
interface HeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: HeapBackend;
  attrs: NamedAttrMap;
}

export const FUSED = {
  linear: 'FusedLinear',
  linearGrad: 'FusedLinearGrad',
  layerNorm: 'FusedLayerNorm',
  layerNormGrad: 'FusedLayerNormGrad',
  gelu: 'FusedGelu',
  geluGrad: 'FusedGeluGrad',
  attention: 'FusedCausalAttention',
  attentionGrad: 'FusedCausalAttentionGrad',
  cachedAttention: 'FusedCachedAttention',
  crossEntropy: 'FusedCrossEntropy',
  crossEntropyGrad: 'FusedCrossEntropyGrad',
} as const;

const rowsOf = (info: TensorInfo): number => info.shape.slice(0, -1).reduce((a, b) => a * b, 1);
const lastDim = (info: TensorInfo): number => info.shape[info.shape.length - 1];

/**
 * Allocates the float32 outputs of these shapes first (allocation may grow the heap and replace its buffer), then
 * hands the addon the heap and each tensor's byte offset, inputs first.
 */
function call(
  backend: HeapBackend,
  inputs: TensorInfo[],
  outputs: number[][],
  run: (heap: ArrayBuffer, ...offsets: number[]) => void,
): TensorInfo[] {
  const made = outputs.map((shape) => backend.makeOutput(shape, 'float32'));
  const offsets = [...inputs, ...made].map((t) => backend.dataIdMap.get(t.dataId).memoryOffset);
  run(backend.wasm.HEAPU8.buffer as ArrayBuffer, ...offsets);
  return made;
}

function kernels(
  addon: NativeAddon,
): Record<(typeof FUSED)[keyof typeof FUSED], (args: Args) => TensorInfo | TensorInfo[]> {
  return {
    [FUSED.linear]: ({ inputs: { x, w, b }, backend }) => {
      const [rows, inDim, outDim] = [rowsOf(x), lastDim(x), lastDim(w)];
      return call(backend, [x, w, b], [[...x.shape.slice(0, -1), outDim]], (heap, ...o) =>
        addon.linearForward(heap, o[0], o[1], o[2], o[3], rows, inDim, outDim),
      )[0];
    },
    [FUSED.linearGrad]: ({ inputs: { dy, x, w }, backend }) => {
      const [rows, inDim, outDim] = [rowsOf(x), lastDim(x), lastDim(w)];
      return call(backend, [dy, x, w], [x.shape, w.shape, [outDim]], (heap, ...o) =>
        addon.linearBackward(heap, o[0], o[1], o[2], o[3], o[4], o[5], rows, inDim, outDim),
      );
    },
    [FUSED.layerNorm]: ({ inputs: { x, w, b }, backend }) => {
      const rows = rowsOf(x);
      return call(backend, [x, w, b], [x.shape, x.shape, [rows]], (heap, ...o) =>
        addon.layerNormForward(heap, o[0], o[1], o[2], o[3], o[4], o[5], rows, lastDim(x)),
      );
    },
    [FUSED.layerNormGrad]: ({ inputs: { dy, xhat, rstd, w }, backend }) =>
      call(backend, [dy, xhat, rstd, w], [dy.shape, w.shape, w.shape], (heap, ...o) =>
        addon.layerNormBackward(heap, o[0], o[1], o[2], o[3], o[4], o[5], o[6], rowsOf(dy), lastDim(dy)),
      ),
    [FUSED.gelu]: ({ inputs: { x }, backend }) =>
      call(backend, [x], [x.shape], (heap, ...o) =>
        addon.geluForward(heap, o[0], o[1], tf.util.sizeFromShape(x.shape)),
      )[0],
    [FUSED.geluGrad]: ({ inputs: { x, dy }, backend }) =>
      call(backend, [x, dy], [x.shape], (heap, ...o) =>
        addon.geluBackward(heap, o[0], o[1], o[2], tf.util.sizeFromShape(x.shape)),
      )[0],
    [FUSED.attention]: ({ inputs: { qkv }, backend, attrs }) => {
      const { B, T, H } = attrs as { B: number; T: number; H: number };
      const C = lastDim(qkv) / 3;
      return call(
        backend,
        [qkv],
        [
          [B * T, C],
          [B, H, T, T],
        ],
        (heap, ...o) => addon.attentionForward(heap, o[0], o[1], o[2], B, T, H, C),
      );
    },
    [FUSED.attentionGrad]: ({ inputs: { dy, qkv, att }, backend, attrs }) => {
      const { B, T, H } = attrs as { B: number; T: number; H: number };
      return call(backend, [dy, qkv, att], [qkv.shape], (heap, ...o) =>
        addon.attentionBackward(heap, o[0], o[1], o[2], o[3], B, T, H, lastDim(dy)),
      )[0];
    },
    [FUSED.cachedAttention]: ({ inputs: { qkv, k, v }, backend }) => {
      const [N, H, t, hd] = k.shape;
      const next = [N, H, t + 1, hd];
      return call(backend, [qkv, k, v], [[N, H * hd], next, next], (heap, ...o) =>
        addon.cachedAttention(heap, o[0], o[1], o[2], o[3], o[4], o[5], N, H, H * hd, t),
      );
    },
    [FUSED.crossEntropy]: ({ inputs: { logits, targets }, backend }) =>
      call(backend, [logits, targets], [[], logits.shape], (heap, ...o) =>
        addon.crossEntropyForward(heap, o[0], o[1], o[2], o[3], rowsOf(logits), lastDim(logits)),
      ),
    [FUSED.crossEntropyGrad]: ({ inputs: { probs, targets, dloss }, backend }) =>
      call(backend, [probs, targets, dloss], [probs.shape], (heap, ...o) =>
        addon.crossEntropyBackward(heap, o[0], o[1], o[2], o[3], rowsOf(probs), lastDim(probs)),
      )[0],
  };
}

/** Registers the fused kernels on the wasm backend over `addon`, or removes them when it is undefined. */
export function setFusedKernels(addon: NativeAddon | undefined): void {
  for (const name of Object.values(FUSED)) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  if (!addon) return;
  for (const [kernelName, kernelFunc] of Object.entries(kernels(addon))) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
