/**
 * A node's manifest, what its cache key (engine/store/record.ts cacheKey) is the hash of: stage name, code
 * fingerprint, params slice, the content hashes of its inputs and its seed. It exists only once every upstream
 * node has committed.
 */
import type { PlanNode } from './graph.ts';
import type { Manifest, RunRecord } from '../store/record.ts';

/** Undefined while some upstream output is unknown. */
export function manifestFor(node: PlanNode, upstream: (sid: string) => RunRecord | undefined): Manifest | undefined {
  const inputs: Record<string, string> = {};
  for (const [name, ref] of Object.entries(node.inputs)) {
    const hash = upstream(ref.sid)?.outputs[ref.output];
    if (!hash) return undefined;
    inputs[name] = hash;
  }
  return { stage: node.stage.name, code: node.code, params: node.params, inputs, seed: node.seed };
}
