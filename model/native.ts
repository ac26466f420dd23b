/**
 * The native kernels (native/kernels.c): compiled with the system's C compiler and Node's API headers (the npm
 * package node-api-headers) the first time a process asks for them, cached by the hash of everything that goes into
 * the build, and loaded with OpenBLAS opened at run time. Built at first use rather than by an npm install script:
 * npm 11 runs dependencies' install scripts only once approved, and a skipped build would go unnoticed until a slow
 * training. `npx tsx pipeline.ts setup-native` builds ahead of time and says what it found.
 *
 * Nothing here is required: when the compiler, the headers or the library is missing, loadNative says why in one line
 * and the caller keeps the WebAssembly kernels.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BLAS_LIBRARY, type BlasCoretype } from './backend-names.ts';

const SOURCE = fileURLToPath(new URL('../native/kernels.c', import.meta.url));
/** Portable code (no -march): a kernel gives the same bits on every x86-64; no fused multiply-adds for the same reason. */
const FLAGS = ['-O2', '-ffp-contract=off', '-fPIC', '-shared', '-DNODE_GYP_MODULE_NAME=kernels'];
const CACHE_DIR = path.join(path.dirname(SOURCE), '..', 'node_modules', '.cache', 'native-kernels');
export const INSTALL_HINT = 'apt-get install libopenblas0-pthread (and build-essential for the C compiler)';

export interface NativeOptions {
  /** The OpenBLAS shared library, as dlopen finds it. */
  library: string;
  coretype: BlasCoretype;
  threads: number;
}

export const DEFAULT_NATIVE: NativeOptions = { library: DEFAULT_BLAS_LIBRARY, coretype: 'Haswell', threads: 1 };

/** The addon's functions (native/kernels.c); offsets are bytes into the wasm heap, batch strides are floats. */
export interface NativeAddon {
  load(library: string, coretype: string, threads: number): [config: string, corename: string];
  setThreads(threads: number): void;
  gemm(
    heap: ArrayBuffer,
    batch: number,
    M: number,
    N: number,
    K: number,
    transA: number,
    transB: number,
    a: number,
    strideA: number,
    b: number,
    strideB: number,
    c: number,
    strideC: number,
  ): void;
  linearForward(
    heap: ArrayBuffer,
    x: number,
    w: number,
    bias: number,
    y: number,
    rows: number,
    inDim: number,
    outDim: number,
  ): void;
  linearBackward(
    heap: ArrayBuffer,
    dy: number,
    x: number,
    w: number,
    dx: number,
    dw: number,
    db: number,
    rows: number,
    inDim: number,
    outDim: number,
  ): void;
  layerNormForward(
    heap: ArrayBuffer,
    x: number,
    w: number,
    b: number,
    y: number,
    xhat: number,
    rstd: number,
    rows: number,
    C: number,
  ): void;
  layerNormBackward(
    heap: ArrayBuffer,
    dy: number,
    xhat: number,
    rstd: number,
    w: number,
    dx: number,
    dw: number,
    db: number,
    rows: number,
    C: number,
  ): void;
  geluForward(heap: ArrayBuffer, x: number, y: number, n: number): void;
  geluBackward(heap: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  attentionForward(
    heap: ArrayBuffer,
    qkv: number,
    y: number,
    att: number,
    B: number,
    T: number,
    H: number,
    C: number,
  ): void;
  attentionBackward(
    heap: ArrayBuffer,
    dy: number,
    qkv: number,
    att: number,
    dqkv: number,
    B: number,
    T: number,
    H: number,
    C: number,
  ): void;
  cachedAttention(
    heap: ArrayBuffer,
    qkv: number,
    kPast: number,
    vPast: number,
    y: number,
    kNext: number,
    vNext: number,
    N: number,
    H: number,
    C: number,
    t: number,
  ): void;
  crossEntropyForward(
    heap: ArrayBuffer,
    logits: number,
    targets: number,
    loss: number,
    probs: number,
    rows: number,
    V: number,
  ): void;
  crossEntropyBackward(
    heap: ArrayBuffer,
    probs: number,
    targets: number,
    dloss: number,
    dlogits: number,
    rows: number,
    V: number,
  ): void;
  adamW(
    params: Float32Array[],
    m: Float32Array[],
    v: Float32Array[],
    grads: Float32Array[],
    decays: boolean[],
    lr: number,
    beta1: number,
    beta2: number,
    weightDecay: number,
    bc1: number,
    bc2Sqrt: number,
  ): void;
  clipByGlobalNorm(grads: Float32Array[], maxNorm: number): void;
}

/** What the native kernels run on: the library's own description and the options it was opened with. */
export interface BlasInfo extends NativeOptions {
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64". */
  config: string;
  /** openblas_get_corename(): the kernels actually in use. */
  corename: string;
}

let loaded: { addon: NativeAddon; blas: BlasInfo } | undefined;

/** The CPU's avx512f flag (Linux): SkylakeX kernels on a CPU without it die of SIGILL. */
export function cpuHasAvx512(): boolean {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Builds (once per build inputs) and loads the addon, then opens OpenBLAS with the options. A process opens
 * OpenBLAS once: its core type is fixed from then on, so asking for another is an error; the thread count may change.
 * Returns the addon, or the one-line reason it cannot be had.
 */
export function loadNative(
  options: NativeOptions = DEFAULT_NATIVE,
): { addon: NativeAddon; blas: BlasInfo } | { error: string } {
  if (!(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= availableParallelism())) {
    return {
      error: `OpenBLAS threads must be an integer from 1 to the ${availableParallelism()} CPUs here, got ${options.threads}`,
    };
  }
  if (options.coretype === 'SkylakeX' && !cpuHasAvx512())
    return { error: 'the SkylakeX (AVX-512) kernels need a CPU with avx512f, and this one has none' };
  if (loaded) {
    if (loaded.blas.coretype !== options.coretype || loaded.blas.library !== options.library) {
      return {
        error: `this process already opened ${loaded.blas.library} with the ${loaded.blas.coretype} kernels; OpenBLAS cannot switch to ${options.library} with ${options.coretype} (one per process)`,
      };
    }
    loaded.addon.setThreads(options.threads);
    loaded.blas = { ...loaded.blas, threads: options.threads };
    return loaded;
  }
  let addon: NativeAddon;
  try {
    addon = loadAddon(buildAddon());
  } catch (error) {
    return { error: `the native kernels could not be built: ${firstLine(error)}` };
  }
  try {
    const [config, corename] = addon.load(options.library, options.coretype, options.threads);
    loaded = { addon, blas: { ...options, config: config.trim(), corename } };
    return loaded;
  } catch (error) {
    return { error: `OpenBLAS could not be opened: ${firstLine(error)}` };
  }
}

/** The cached addon's path, compiling it first if these build inputs have not been compiled yet. */
export function buildAddon(): string {
  const require = createRequire(import.meta.url);
  let include: string;
  try {
    include = path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
  } catch {
    throw new Error('the npm package node-api-headers is missing (npm install)');
  }
  let compiler: string;
  try {
    compiler = execFileSync('cc', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(
      '\n',
    )[0];
  } catch {
    throw new Error('no C compiler: `cc` was not found (apt-get install build-essential)');
  }
  const source = readFileSync(SOURCE);
  const id = createHash('sha256')
    .update(source)
    .update(compiler)
    .update(FLAGS.join(' '))
    .update(readFileSync(path.join(include, 'node_api.h')))
    .update(process.arch)
    .digest('hex')
    .slice(0, 16);
  const target = path.join(CACHE_DIR, `kernels-${id}.node`);
  if (existsSync(target)) return target;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Compile beside the target and rename: another process may be building the same file.
  const partial = `${target}.${process.pid}.tmp`;
  try {
    execFileSync('cc', [...FLAGS, '-I', include, SOURCE, '-o', partial, '-ldl', '-lm'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(stderr ? stderr.split('\n')[0] : firstLine(error));
  }
  return target;
}

function loadAddon(file: string): NativeAddon {
  const module = { exports: {} as NativeAddon };
  process.dlopen(module, file);
  return module.exports;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
