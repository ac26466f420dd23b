/**
 * Benchmarks of a no-op repro need a store holding a committed run for every node of a graph, as a real run
 * leaves it. `commitEveryNode` writes those runs in plan order; the caller says what each node's outputs are.
 */
import type { PlanNode, Plan } from '../engine/plan/graph.ts';
import { HOST } from '../engine/store/files.ts';
import { manifestFor } from '../engine/plan/manifest.ts';
import { cacheKey } from '../engine/store/record.ts';
import type { Manifest, RunRecord } from '../engine/store/record.ts';
import type { Store } from '../engine/store/store.ts';

export type NodeOutputs = (
  node: PlanNode,
  manifest: Manifest,
) => Promise<{ outputs: Record<string, string>; metrics: Record<string, number | string> }>;

export async function commitEveryNode(store: Store, plan: Plan, outputsOf: NodeOutputs): Promise<void> {
  const records = new Map<string, RunRecord>();
  for (const node of plan.nodes) {
    const manifest = manifestFor(node, (sid) => records.get(sid))!;
    const key = cacheKey(manifest);
    const { outputs, metrics } = await outputsOf(node, manifest);
    const now = new Date().toISOString();
    records.set(
      node.sid,
      store.commitRun({
        key,
        sid: node.sid,
        ids: node.ids,
        stage: node.stage.name,
        manifest,
        outputs,
        metrics,
        startedAt: now,
        finishedAt: now,
        seconds: 0,
        host: HOST,
        pid: process.pid,
        log: `logs/${key}.log`,
      }),
    );
  }
}
