/**
 * The scheduling decision, pure: given what is known of one node, what to do with it next. The pump
 * (engine/run/executor.ts) gathers the facts (the store's run record, the key's lock, the task's result), asks here,
 * and carries the step out; nothing here reads the store or starts anything, so every case is a unit test on a
 * hand-made state (test/engine-schedule.test.ts).
 */
import { descendants, type Plan, type PlanNode } from '../plan/graph.ts';
import type { LockOwner, LockState } from '../store/lock.ts';
import type { RunRecord } from '../store/record.ts';
import type { Outcome } from './executor.ts';
import type { Crashed, TaskResult } from './lifecycle.ts';

/** A consumer whose inputs stay corrupt after this many recomputations of their producers fails. */
export const MAX_CORRUPT_RETRIES = 2;

export type Step =
  /** The node's end: cached, ran, failed or interrupted. */
  | { step: 'finish'; outcome: Outcome }
  /** Not cached: wait in the queue for the transport's room. */
  | { step: 'queue' }
  /** Another process runs the key: look again later and take its result. */
  | { step: 'wait'; owner: LockOwner }
  | { step: 'run'; force: boolean; staleLock?: string }
  /** An input's bytes no longer match its hash: drop these objects, recompute their producers, then this node. */
  | { step: 'recover'; corrupt: string[] };

/** The questions the pump answers about the plan's state. */
export interface PlanState {
  /** The node has an outcome already in this execution. */
  decided(sid: string): boolean;
  /** The node is queued, running or waiting for another process. */
  active(sid: string): boolean;
  /** The node's outputs are committed (it ended cached or ran). */
  committed(sid: string): boolean;
}

/** Ready to be considered: undecided, not yet queued, and every input committed. */
export function isReady(node: PlanNode, state: PlanState): boolean {
  return !state.decided(node.sid) && !state.active(node.sid) && node.deps.every((sid) => state.committed(sid));
}

/** A failed node blocks every node below it that has no outcome yet. */
export function blockedBy(plan: Plan, failed: PlanNode, state: PlanState): PlanNode[] {
  return [...descendants(plan, [failed.sid])].filter((sid) => !state.decided(sid)).map((sid) => plan.bySid.get(sid)!);
}

/** What is known of a ready node: asked when its key is known (no lock yet), and again before it starts. */
export interface ReadyNode {
  /** --force names it and it has not run yet in this execution (a forced node runs once). */
  forced: boolean;
  /** The store's run under its key, undefined when there is none (or --verify found it corrupt and removed it). */
  committed: RunRecord | undefined;
  /** The key's lock, looked at only just before starting: before that, `undefined`. */
  lock?: 'free' | LockState;
}

export function beforeRun(node: ReadyNode): Step {
  if (node.committed && !node.forced) return { step: 'finish', outcome: { status: 'cached', record: node.committed } };
  if (node.lock === undefined) return { step: 'queue' };
  if (node.lock !== 'free' && node.lock.live) return { step: 'wait', owner: node.lock.owner };
  return { step: 'run', force: node.forced, ...(node.lock !== 'free' ? { staleLock: node.lock.signature } : {}) };
}

/** What is known of a node when its task's result arrives. */
export interface Ending {
  /** Ctrl-C, or an I/O failure elsewhere, stopped the run. */
  interrupted: boolean;
  /** Recoveries from corrupt inputs this node has had so far. */
  corruptRetries: number;
  /** The node's log in the store, where a crashed process's output went. */
  log: string;
}

export function afterResult(result: TaskResult | Crashed, node: Ending): Step {
  switch (result.type) {
    case 'done':
      return { step: 'finish', outcome: { status: result.ran ? 'ran' : 'cached', record: result.record } };
    case 'busy':
      return { step: 'wait', owner: result.owner };
  }
  if (result.type === 'interrupted' || node.interrupted) return { step: 'finish', outcome: { status: 'interrupted' } };
  if (result.type === 'crashed')
    return { step: 'finish', outcome: { status: 'failed', crashed: true, log: node.log, error: result.message } };
  if (!result.corrupt)
    return {
      step: 'finish',
      outcome: { status: 'failed', crashed: false, log: result.log, error: result.message, io: result.io },
    };
  if (node.corruptRetries < MAX_CORRUPT_RETRIES) return { step: 'recover', corrupt: result.corrupt };
  const error = `inputs still corrupt after ${MAX_CORRUPT_RETRIES} recomputations: ${result.corrupt.join(', ')}`;
  return { step: 'finish', outcome: { status: 'failed', crashed: false, log: result.log, error } };
}
