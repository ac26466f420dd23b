/**
 * The backend a model stage runs on: runtime.backend in params.yaml, which reaches the stage as ctx.runtime.backend
 * (engine/graph.ts, NodeSpec.runtime), and is recorded as the node's `backend` metric. The stage reads it there
 * alone. runtime.backend_in_key also copies it into the node's params slice (experiment/graph.ts), where it is only
 * part of the cache key.
 */
import type { StageContext } from '../engine/stage.ts';
import type { BackendName } from '../model/backend-names.ts';

export async function useBackend(ctx: Pick<StageContext, 'runtime' | 'metric'>): Promise<BackendName> {
  const wanted = (ctx.runtime.backend ?? 'auto') as BackendName | 'auto';
  // Loaded here, not at the top: TensorFlow.js takes half a second to import, and `status` imports every stage.
  const { selectBackend } = await import('../model/backend.ts');
  const { name } = await selectBackend(wanted);
  ctx.metric('backend', name);
  return name;
}
