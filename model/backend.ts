/**
 * Picks the TensorFlow.js backend (DESIGN.md "Model backends"): tfjs-node-gpu when it loads and sees a GPU, then
 * WebGPU when its adapter is a real GPU (webgpu.ts; a software adapter is only used when forced), then tfjs-node,
 * then WebAssembly with SIMD (plus the kernel fixes in wasm-kernels.ts), then plain JS. The native packages are
 * optional dependencies that often fail to install; they and WebGPU are imported dynamically and the real error is
 * kept for `pipeline.ts doctor`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, getThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BACKEND_ORDER, type BackendName } from './backend-names.ts';
import { installWasmKernels } from './wasm-kernels.ts';
export { BACKEND_ORDER, GPU_BACKENDS, type BackendName } from './backend-names.ts';
import { activateWebgpu, adapterText, knownAdapter, webgpuAdapter, type AdapterInfo } from './webgpu.ts';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was not used: the underlying error message, or the reason it was skipped. */
  error?: string;
  detail?: string;
}

export interface BackendReport {
  selected: BackendName;
  /** The tfjs backend name the engine runs on ('tensorflow', 'wasm' or 'cpu'). */
  tfBackend: string;
  attempts: BackendAttempt[];
  wasm?: { simd: boolean; threads: number; path: string; kernelOverrides: string[] };
  /** The WebGPU adapter, whenever one was found (also when it was not chosen). */
  webgpuAdapter?: AdapterInfo;
  /** Whether the computation runs on a GPU (false for webgpu on a software adapter). */
  onGpu: boolean;
  versions: Record<string, string>;
  /** What tfjs-node-gpu needs on the host (libtensorflow 2.9.1). */
  gpuRequirements: string;
}

const GPU_REQUIREMENTS =
  'tfjs-node-gpu 4.x binds libtensorflow 2.9.1: needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 on the library path';

export const NATIVE_PACKAGE: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

const selected = new Map<string, Promise<{ name: BackendName; report: BackendReport }>>();
let lastSelected: Promise<{ name: BackendName; report: BackendReport }> | undefined;
const attempts = new Map<BackendName, BackendAttempt>();
let nativeLoaded: string | undefined;

/**
 * Loads and activates a backend. 'auto' (default) tries them in order; naming one forces it and throws, with the
 * underlying cause, when it cannot load. Repeated calls with the same argument reuse the first result.
 */
export function selectBackend(
  forced: BackendName | 'auto' = 'auto',
): Promise<{ name: BackendName; report: BackendReport }> {
  let pending = selected.get(forced);
  if (!pending) {
    pending = choose(forced);
    selected.set(forced, pending);
    pending.catch(() => selected.delete(forced));
  }
  const active = pending.then(async (result) => {
    // Another call may have switched the engine to a different backend since; switch back.
    if (tf.getBackend() !== result.report.tfBackend) await tf.setBackend(result.report.tfBackend);
    return result;
  });
  active.then(
    () => (lastSelected = active),
    () => undefined,
  );
  return active;
}

/** The backend chosen last in this process; chooses one ('auto') if nothing has been chosen yet. */
export async function ensureBackend(): Promise<BackendName> {
  return (await (lastSelected ?? selectBackend('auto'))).name;
}

async function choose(forced: BackendName | 'auto'): Promise<{ name: BackendName; report: BackendReport }> {
  tf.enableProdMode(); // skips per-op NaN checks and silences the "use tfjs-node" banner of the cpu backend
  const candidates = forced === 'auto' ? BACKEND_ORDER : [forced];
  for (const name of candidates) {
    const veto = forced === 'auto' ? await autoVeto(name) : undefined;
    const attempt = veto === undefined ? await tryBackend(name) : skip(name, veto);
    if (attempt.ok) return { name, report: await describe(name) };
    if (forced !== 'auto') throw new Error(`backend ${name} is not available: ${attempt.error}`);
  }
  throw new Error('no TensorFlow.js backend could be loaded');
}

async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  const known = attempts.get(name);
  if (known?.ok) {
    await tf.setBackend(tfBackendName(name));
    return known;
  }
  let attempt: BackendAttempt;
  try {
    attempt = { name, ok: true, detail: await activate(name) };
  } catch (error) {
    attempt = { name, ok: false, error: errorText(error) };
  }
  attempts.set(name, attempt);
  return attempt;
}

function tfBackendName(name: BackendName): string {
  return name === 'tfjs-node-gpu' || name === 'tfjs-node' ? 'tensorflow' : name;
}

/**
 * Why `auto` passes over a backend that may well load: WebGPU on a software adapter (a CPU emulating a GPU, slower
 * than wasm) is for tests. A failing probe is no veto: trying the backend then reports the real error.
 */
async function autoVeto(name: BackendName): Promise<string | undefined> {
  if (name !== 'webgpu') return undefined;
  const adapter = await webgpuAdapter().catch(() => undefined);
  if (!adapter?.software) return undefined;
  return `the adapter is a software one (${adapterText(adapter)}): auto never picks it; --backend webgpu (runtime.backend: webgpu) forces it`;
}

function skip(name: BackendName, reason: string): BackendAttempt {
  const attempt = { name, ok: false, error: reason };
  attempts.set(name, attempt);
  return attempt;
}

/** Makes `name` the active backend; returns a line of detail, throws with the real cause. */
async function activate(name: BackendName): Promise<string | undefined> {
  if (name === 'webgpu') {
    const adapter = await webgpuAdapter();
    await activateWebgpu();
    return `adapter: ${adapterText(adapter)}${adapter.software ? '; a software adapter, used because it was asked for' : ''}`;
  }
  if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
    const specifier = NATIVE_PACKAGE[name];
    // Both packages register the same 'tensorflow' backend, so only one is ever imported.
    if (!nativeLoaded) {
      await import(specifier);
      nativeLoaded = specifier;
    }
    if (!(await tf.setBackend('tensorflow')))
      throw new Error(`${nativeLoaded} loaded but the 'tensorflow' backend did not initialise`);
    if (name === 'tfjs-node-gpu') {
      const usingGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
      if (nativeLoaded !== specifier || !usingGpu)
        throw new Error(`${specifier} loaded but sees no GPU (${GPU_REQUIREMENTS})`);
      return 'GPU visible to libtensorflow';
    }
    return nativeLoaded === specifier ? undefined : `the ${nativeLoaded} build, running on the CPU`;
  }
  if (name === 'wasm') {
    setWasmPaths(wasmDirectory());
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    installWasmKernels();
    return undefined;
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  return undefined;
}

/** setWasmPaths wants a directory prefix ending in a separator; in Node it is read as a file path. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

async function describe(name: BackendName): Promise<BackendReport> {
  const adapter = knownAdapter();
  const report: BackendReport = {
    selected: name,
    tfBackend: tf.getBackend(),
    attempts: BACKEND_ORDER.map((n) => attempts.get(n) ?? { name: n, ok: false, error: 'not tried' }),
    versions: { ...(tf.version as Record<string, string>), 'tfjs-backend-wasm': version_wasm },
    gpuRequirements: GPU_REQUIREMENTS,
    webgpuAdapter: adapter,
    onGpu: name === 'tfjs-node-gpu' || (name === 'webgpu' && adapter?.software === false),
  };
  if (name === 'wasm') {
    report.wasm = {
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: getThreadsCount(),
      path: wasmDirectory(),
      kernelOverrides: installWasmKernels(),
    };
  }
  return report;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n').slice(0, 6).join('\n');
  return String(error);
}

/** Bytes the wasm heap has grown to (it never shrinks); undefined on other backends. */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
}
