/**
 * The backend and kernel set a model stage runs on: runtime.backend, runtime.kernels and the OpenBLAS settings in
 * params.yaml, which reach the stage as ctx.runtime (engine/plan/graph.ts, NodeSpec.runtime) and are recorded as the
 * node's `backend` and `kernels` metrics (OpenBLAS threads included: a node that runs alone gets lone_node_threads).
 * Why `auto` fell back to WebAssembly is a warning, which repro prints once at the end. The stage reads them there
 * alone. runtime.backend_in_key also copies them into the node's params slice (experiment/graph.ts), where they are
 * only part of the cache key.
 */
import { z } from 'zod';
import type { StageContext } from '../engine/stage.ts';
import {
  BACKEND_ORDER,
  BLAS_CORETYPES,
  DEFAULT_BLAS_LIBRARY,
  KERNEL_CHOICES,
  type BackendName,
} from '../model/backend-names.ts';
import type { KernelOptions } from '../model/kernel-set.ts';

/** params.yaml's `runtime` section: how the model stages run (ctx.runtime), in their keys only with backend_in_key. */
export const runtimeSection = z.strictObject({
  /** TensorFlow.js backend; recorded in run records, part of cache keys only when backend_in_key is true. */
  backend: z.enum(['auto', ...BACKEND_ORDER]),
  backend_in_key: z.boolean(),
  /**
   * The wasm backend's kernel set: native (OpenBLAS + native/kernels.c), wasm, or auto (native when it loads, else
   * wasm with a one-line reason). Recorded per node (the `kernels` metric); keyed only with backend_in_key.
   */
  kernels: z.enum(KERNEL_CHOICES).default('auto'),
  /** OpenBLAS's kernels: Haswell (portable AVX2) or SkylakeX (AVX-512, only on a CPU with avx512f). */
  blas_coretype: z.enum(BLAS_CORETYPES).default('Haswell'),
  /** OpenBLAS threads of each model node that may run beside others. */
  blas_threads: z.number().int().positive().default(1),
  /**
   * OpenBLAS threads of a model node no other node can run beside (engine/plan/graph.ts loneNodes: the shared first
   * training of a sweep). More threads give other rounding, hence other bits, so the count is recorded with the node.
   */
  lone_node_threads: z.number().int().positive().default(2),
  /** The OpenBLAS shared library, as dlopen finds it (a build of your own, say). */
  blas_library: z.string().min(1).default(DEFAULT_BLAS_LIBRARY),
});
export type RuntimeSection = z.infer<typeof runtimeSection>;

/** What of runtime a model node's params slice carries when runtime.backend_in_key puts it into the key. */
export type KeyedRuntime = Pick<RuntimeSection, 'backend' | 'kernels' | 'blas_coretype'>;

export async function useBackend(
  ctx: Pick<StageContext, 'runtime' | 'metric' | 'alone' | 'warn'>,
): Promise<BackendName> {
  const { backend = 'auto', ...kernels } = ctx.runtime as Partial<KernelOptions> & { backend?: BackendName | 'auto' };
  // Loaded here, not at the top: TensorFlow.js takes half a second to import, and every command that reads params
  // imports this module for runtimeSection.
  const { selectBackend } = await import('../model/backend.ts');
  const { DEFAULT_KERNELS, kernelSetText, selectKernels } = await import('../model/kernel-set.ts');
  const { name } = await selectBackend(backend);
  ctx.metric('backend', name);
  const kernelSet = selectKernels(name, { ...DEFAULT_KERNELS, ...kernels }, ctx.alone);
  if (kernelSet.fallback) ctx.warn(kernelSet.fallback);
  ctx.metric('kernels', kernelSetText(kernelSet));
  return name;
}
