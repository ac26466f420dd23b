/**
 * What each node's state is and, for a missing node, why it must run. Shared by `status` and `repro --dry`.
 * Works on the plan alone: a node whose upstream is missing cannot have a key yet, so that is its reason.
 */
import type { Plan, PlanNode } from './graph.ts';
import { manifestFor } from './manifest.ts';
import { inspectLock } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import { cacheKey, type Manifest, type RunRecord } from '../store/record.ts';
import type { Json } from '../stage.ts';

export interface NodeState {
  node: PlanNode;
  state: 'cached' | 'missing' | 'running';
  /** Known when every input is committed. */
  key?: string;
  record?: RunRecord;
  /** For a missing or running node: why it must run / who runs it. */
  reason?: string;
}

export function assess(plan: Plan, store: Store, force: (node: PlanNode) => boolean = () => false): NodeState[] {
  const states = new Map<string, NodeState>();
  let history: Map<string, RunRecord> | undefined;
  const previousRun = (node: PlanNode): RunRecord | undefined => {
    history ??= latestRunById(store.listRuns().records);
    return node.ids
      .map((id) => history!.get(id))
      .filter((r) => r !== undefined)
      .sort(byFinished)
      .pop();
  };
  for (const node of plan.nodes) {
    const missingDep = node.deps.map((sid) => states.get(sid)!).find((s) => s.state !== 'cached');
    if (missingDep) {
      states.set(node.sid, { node, state: 'missing', reason: `upstream missing: ${missingDep.node.ids[0]}` });
      continue;
    }
    const manifest = manifestFor(node, (sid) => states.get(sid)?.record)!;
    const key = cacheKey(manifest);
    const found = store.lookupRun(key);
    // A forged record (another node's manifest under this key) is reported, not trusted (Store.keyMatchesManifest).
    const tampered = found !== undefined && !store.keyMatchesManifest(found);
    const record = tampered ? undefined : found;
    if (record && !force(node)) {
      states.set(node.sid, { node, state: 'cached', key, record });
      continue;
    }
    const lock = inspectLock(store.lockPath(key));
    if (lock !== 'free' && lock.live) {
      states.set(node.sid, {
        node,
        state: 'running',
        key,
        reason: `running: pid ${lock.owner.pid} on ${lock.owner.host} since ${lock.owner.started}`,
      });
      continue;
    }
    let reason: string;
    if (record) reason = 'forced';
    else if (tampered) reason = "run record tampered: its key is not its manifest's";
    else {
      const previous = previousRun(node);
      const changes = previous ? diffManifests(previous.manifest, manifest) : [];
      reason = !previous ? 'never run' : changes.length ? changes.join('; ') : 'outputs missing from the store';
    }
    states.set(node.sid, { node, state: 'missing', key, reason });
  }
  return plan.nodes.map((node) => states.get(node.sid)!);
}

function byFinished(a: RunRecord, b: RunRecord): number {
  return a.finishedAt < b.finishedAt ? -1 : a.finishedAt > b.finishedAt ? 1 : 0;
}

function latestRunById(records: RunRecord[]): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>();
  for (const record of records.sort(byFinished)) for (const id of record.ids) out.set(id, record);
  return out;
}

/** Field by field, e.g. ['params.lambda: 0.5 → 0.75', 'code fingerprint changed', 'input weights changed']. */
export function diffManifests(before: Manifest, after: Manifest): string[] {
  const out: string[] = [];
  if (before.stage !== after.stage) out.push(`stage: ${before.stage} → ${after.stage}`);
  if (before.code !== after.code) out.push('code fingerprint changed');
  diffJson(before.params, after.params, 'params', out);
  for (const name of [...new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)])].sort()) {
    if (before.inputs[name] !== after.inputs[name]) out.push(`input ${name} changed`);
  }
  // The seed follows from params and upstream identities: worth naming only when nothing else explains it.
  if (before.seed !== after.seed && out.length === 0) out.push(`seed: ${before.seed} → ${after.seed}`);
  return out;
}

function diffJson(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  const isObject = (v: Json | undefined): v is { [k: string]: Json } =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diffJson(a[key], b[key], `${path}.${key}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(
      `${path}: ${a === undefined ? '(none)' : JSON.stringify(a)} → ${b === undefined ? '(none)' : JSON.stringify(b)}`,
    );
  }
}
