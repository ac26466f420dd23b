/**
 * The kernel set a model stage runs on: for the wasm backend, the native kernels (OpenBLAS and native/kernels.c) or
 * WebAssembly's; other backends bring their own. Which one, with which OpenBLAS core type and thread count, is
 * params.yaml's runtime section, and what ran is recorded with each node (the `kernels` metric), in `status` and in
 * `doctor`. `auto` takes the native kernels when they load, and otherwise runs on WebAssembly and returns one line
 * that says why not and what to install (the stage warns with it).
 */
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import type { BackendName, BlasCoretype, KernelChoice } from './backend-names.ts';
import { DEFAULT_NATIVE, INSTALL_HINT, loadNative, type BlasInfo } from './native.ts';
import { installWasmKernels } from './wasm-kernels.ts';

export interface KernelOptions {
  kernels: KernelChoice;
  blas_coretype: BlasCoretype;
  blas_threads: number;
  /** OpenBLAS threads of a node no other node can run beside (StageContext.alone). */
  lone_node_threads: number;
  /** The OpenBLAS library as dlopen finds it. */
  blas_library: string;
}

/** params.yaml's runtime defaults (stages/backend.ts runtimeSection), for callers without a params file: tests, benches, doctor. */
export const DEFAULT_KERNELS: KernelOptions = {
  kernels: 'auto',
  blas_coretype: 'Haswell',
  blas_threads: 1,
  lone_node_threads: 2,
  blas_library: DEFAULT_NATIVE.library,
};

export interface KernelSet {
  /** 'native' or 'wasm' on the wasm backend; otherwise the backend's own. */
  kernels: string;
  blas?: BlasInfo;
  /** Why `auto` fell back to WebAssembly. */
  fallback?: string;
}

/**
 * Installs the kernel set the options ask for on the active backend `backend`, with OpenBLAS threads for a node that
 * runs `alone` or beside others; throws when `native` cannot load. More threads than cores are capped at the cores.
 */
export function selectKernels(
  backend: BackendName,
  options: KernelOptions = DEFAULT_KERNELS,
  alone = false,
): KernelSet {
  if (backend !== 'wasm' || tf.getBackend() !== 'wasm') return { kernels: backend };
  if (options.kernels === 'wasm') {
    installWasmKernels();
    return { kernels: 'wasm' };
  }
  const threads = Math.min(alone ? options.lone_node_threads : options.blas_threads, availableParallelism());
  const native = loadNative({ library: options.blas_library, coretype: options.blas_coretype, threads });
  if ('error' in native) {
    if (options.kernels === 'native')
      throw new Error(`runtime.kernels is native, but ${native.error} (${INSTALL_HINT})`);
    installWasmKernels();
    return {
      kernels: 'wasm',
      fallback: `native kernels unavailable: ${native.error}; running the WebAssembly kernels (${INSTALL_HINT})`,
    };
  }
  installWasmKernels(native.addon);
  return { kernels: 'native', blas: native.blas };
}

/** One line for a run record, `status` and `doctor`, e.g. "native (OpenBLAS 0.3.21, Haswell kernels, 1 thread)". */
export function kernelSetText(set: KernelSet): string {
  if (!set.blas) return set.kernels;
  const version = /OpenBLAS [\d.]+/.exec(set.blas.config)?.[0] ?? set.blas.library;
  const threads = `${set.blas.threads} thread${set.blas.threads === 1 ? '' : 's'}`;
  return `${set.kernels} (${version}, ${set.blas.corename} kernels, ${threads})`;
}
