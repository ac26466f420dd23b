/**
 * The backend names, apart from backend.ts so that params validation and `doctor --help` can list them without
 * loading TensorFlow.js (a second of start-up).
 * BACKEND_ORDER is the order `auto` tries them in.
 */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** Backends whose tensors live in GPU memory: training keeps its state there (train-device.ts). */
export const GPU_BACKENDS: ReadonlySet<BackendName> = new Set(['tfjs-node-gpu', 'webgpu']);

/** runtime.kernels: on the wasm backend, native (OpenBLAS and native/kernels.c), wasm, or auto (native when it loads). */
export const KERNEL_CHOICES = ['auto', 'native', 'wasm'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/** OpenBLAS kernel families: Haswell (AVX2: portable, the default) or SkylakeX (AVX-512: only where the CPU has avx512f). */
export const BLAS_CORETYPES = ['Haswell', 'SkylakeX'] as const;
export type BlasCoretype = (typeof BLAS_CORETYPES)[number];

/** runtime.blas_library's default: Debian's OpenBLAS (libopenblas0-pthread), as dlopen finds it. */
export const DEFAULT_BLAS_LIBRARY = 'libopenblas.so.0';
