/**
 * `repro`: bring every node of a graph up to date, then write pipeline.lock. Also `repro --dry`.
 * An I/O error of the store (a full disk) stops the run as Ctrl-C would; the lock is still written for every
 * node that committed, and the error is thrown after it.
 */
import type { Executor, Outcome } from './executor.ts';
import { globMatcher, type Plan, type PlanNode } from '../plan/graph.ts';
import { formatLockFile, LOCK_VERSION, type LockFile, type LockParams } from '../store/lock-file.ts';
import { Display } from './progress.ts';
import { expectedSeconds } from './eta.ts';
import { assess, type NodeState } from '../plan/status.ts';
import type { Store } from '../store/store.ts';
import { removeStaleTempFiles, writeAtomic } from '../store/files.ts';
import { dirname, resolve } from 'node:path';

export interface ReproOptions {
  /** Local or Slurm; it holds --force, --verify and the Ctrl-C signal. */
  executor: Executor;
  /** The executor's store: its dead writers' temp files are removed at the end. */
  store: Store;
  /** Where pipeline.lock goes; default ./pipeline.lock. */
  lockPath?: string;
  /** What the graph was made from, recorded in the lock beside its results. */
  params?: LockParams;
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Without a TTY: at most one progress line per running node this often (default 30 s). */
  progressEveryMs?: number;
  /** Workers running nodes at once, for the time left the display shows from the store's recorded durations. */
  workers?: number;
}

export interface ReproResult {
  summary: string;
  /** 0 all done, 1 some node failed, 130 interrupted. */
  exitCode: number;
}

export function forceMatcher(globs: readonly string[] = []): (node: PlanNode) => boolean {
  const matchers = globs.map(globMatcher);
  return (node) => node.ids.some((id) => matchers.some((m) => m(id)));
}

export async function repro(plan: Plan, options: ReproOptions): Promise<ReproResult> {
  const eta = options.workers
    ? { plan, expected: expectedSeconds(plan, options.store.listRuns().records), workers: options.workers }
    : undefined;
  const display = new Display(options.out ?? process.stdout, plan.nodes.length, options.progressEveryMs, eta);
  const { outcomes, interrupted, ioFailure } = await options.executor.run(plan, display);
  const { summary, failed } = display.close(interrupted && ioFailure === undefined);
  const lockPath = options.lockPath ?? 'pipeline.lock';
  // The temp file of a lock write that a kill -9 cut short would otherwise stay beside the lock for good.
  removeStaleTempFiles([dirname(resolve(lockPath))], (message) => options.store.warn(message));
  writeLockFile(lockPath, plan, outcomes, options.params);
  // Only now: a summary on screen means the lock holds what it counts.
  (options.out ?? process.stdout).write(summary + '\n');
  options.store.removeStaleTempFiles();
  if (ioFailure !== undefined) throw new Error(ioFailure);
  return { summary, exitCode: interrupted ? 130 : failed ? 1 : 0 };
}

/** `repro --dry`: the nodes that would run, each with its reason. */
export function dryRun(plan: Plan, store: Store, force: string[] = []): NodeState[] {
  return assess(plan, store, forceMatcher(force)).filter((s) => s.state !== 'cached');
}

/** pipeline.lock (engine/store/lock-file.ts): the nodes not computed are absent. */
function writeLockFile(path: string, plan: Plan, outcomes: Map<string, Outcome>, params: LockParams | undefined): void {
  const nodes: LockFile['nodes'] = {};
  for (const node of plan.nodes) {
    const outcome = outcomes.get(node.sid);
    if (outcome?.status !== 'cached' && outcome?.status !== 'ran') continue;
    const { key, outputs, metrics } = outcome.record;
    for (const id of node.ids) nodes[id] = { stage: node.stage.name, key, outputs, metrics, tags: node.tags[id] };
  }
  writeAtomic(path, Buffer.from(formatLockFile({ version: LOCK_VERSION, ...(params && { params }), nodes })));
}
