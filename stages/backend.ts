/**
 * The backend a model stage runs on. It is chosen per process (runtime.backend in params.yaml, passed to worker
 * processes as PIPELINE_BACKEND) and recorded as the node's `backend` metric; it enters a node's params slice, and
 * so its cache key, only when runtime.backend_in_key is set.
 */
import type { StageContext } from '../engine/stage.ts';
import type { BackendName } from '../model/backend-names.ts';

export async function useBackend(ctx: StageContext<{ backend?: string }>): Promise<BackendName> {
  const wanted = (ctx.params.backend ?? process.env.PIPELINE_BACKEND ?? 'auto') as BackendName | 'auto';
  // Loaded here, not at the top: TensorFlow.js takes half a second to import, and `status` imports every stage.
  const { selectBackend } = await import('../model/backend.ts');
  const { name } = await selectBackend(wanted);
  ctx.metric('backend', name);
  return name;
}
