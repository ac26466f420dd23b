/**
 * The backend and kernel set a model stage runs on: runtime.backend, runtime.kernels and the OpenBLAS settings in
 * params.yaml, which reach the stage as ctx.runtime (engine/plan/graph.ts, NodeSpec.runtime) and are recorded as the
 * node's `backend` and `kernels` metrics (OpenBLAS threads included: a node that runs alone gets lone_node_threads).
 * Why `auto` fell back to WebAssembly is a warning, which repro prints once at the end. The stage reads them there
 * alone. runtime.backend_in_key also copies them into the node's params slice (experiment/graph.ts), where they are
 * only part of the cache key.
 */
import type { StageContext } from '../engine/stage.ts';
import type { BackendName } from '../model/backend-names.ts';
import type { KernelOptions } from '../model/kernel-set.ts';

export async function useBackend(ctx: Pick<StageContext, 'runtime' | 'metric' | 'alone' | 'warn'>): Promise<BackendName> {
  const { backend = 'auto', ...kernels } = ctx.runtime as Partial<KernelOptions> & { backend?: BackendName | 'auto' };
  // Loaded here, not at the top: TensorFlow.js takes half a second to import, and `status` imports every stage.
  const { selectBackend } = await import('../model/backend.ts');
  const { DEFAULT_KERNELS, kernelSetText, selectKernels } = await import('../model/kernel-set.ts');
  const { name } = await selectBackend(backend);
  ctx.metric('backend', name);
  const kernelSet = selectKernels(name, { ...DEFAULT_KERNELS, ...kernels }, ctx.alone);
  if (kernelSet.fallback) ctx.warn(kernelSet.fallback);
  ctx.metric('kernels', kernelSetText(kernelSet));
  return name;
}
