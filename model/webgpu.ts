/**
 * TensorFlow.js's WebGPU backend in Node: Dawn's bindings from the `webgpu` package (its native binary ships inside
 * the package) reach the GPU through Vulkan, so any GPU with a Vulkan driver works, whatever CUDA it has. Measured
 * with webgpu 0.6.2 on Node 20: the browser globals and `navigator.gpu` must exist before the tfjs backend is
 * imported (it registers itself only if they do); without a Vulkan driver `requestAdapter()` resolves to nothing;
 * and `dataSync()` on GPU data throws (`OffscreenCanvas is not defined`), so callers read with `await data()`.
 */
import * as tf from '@tensorflow/tfjs';

/** What Dawn says about the adapter it would use. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of Vulkan (Mesa's llvmpipe/lavapipe, SwiftShader): correct, slow, for tests only. */
  software: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader/i;
const NO_ADAPTER =
  "Dawn found no WebGPU adapter: it needs a Vulkan driver (the GPU vendor's, or Mesa 25 from bookworm-backports, " +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers`; Mesa 22 of bookworm lacks a feature Dawn requires)';

let probe: Promise<AdapterInfo> | undefined;
let found: AdapterInfo | undefined;
let registered = false;

/** The adapter tfjs would get (it asks for the high-performance one too); throws when there is none. */
export function webgpuAdapter(): Promise<AdapterInfo> {
  probe ??= requestAdapter().then((adapter) => (found = adapter));
  return probe;
}

/** The adapter, if an earlier webgpuAdapter() found one. */
export function knownAdapter(): AdapterInfo | undefined {
  return found;
}

async function requestAdapter(): Promise<AdapterInfo> {
  const { create, globals } = await import('webgpu');
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NO_ADAPTER);
  // tfjs-backend-webgpu reads navigator.gpu and the GPUBufferUsage-style constants from the global scope.
  Object.assign(globalThis, globals);
  if (!('navigator' in globalThis)) Object.assign(globalThis, { navigator: {} });
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info as GPUAdapterInfo & {
    isFallbackAdapter?: boolean;
  };
  const software =
    Boolean(isFallbackAdapter) || architecture === 'software' || SOFTWARE_NAMES.test(`${device} ${description}`);
  return { vendor, architecture, device, description, software };
}

/** Registers tfjs's webgpu backend (once) and makes it the active one. */
export async function activateWebgpu(): Promise<void> {
  await webgpuAdapter();
  if (!registered) {
    await import('@tensorflow/tfjs-backend-webgpu');
    registered = true;
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
}

/** "vendor nvidia, architecture ampere, NVIDIA GeForce …" */
export function adapterText(adapter: AdapterInfo): string {
  return `vendor ${adapter.vendor || '?'}, architecture ${adapter.architecture || '?'}, ${adapter.description || adapter.device || 'no description'}`;
}
