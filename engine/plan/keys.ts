/**
 * Cache keys. A node's key is the xxhash of its manifest: stage name, code fingerprint, params slice, the
 * content hashes of its inputs and its seed. Unlike the structural identity (engine/plan/graph.ts) it depends on
 * what the inputs actually contain, so it is computable only once the upstream nodes have committed.
 */
import { hashJson } from '../store/hash.ts';
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

export function cacheKey(manifest: Manifest): string {
  return hashJson(manifest);
}
