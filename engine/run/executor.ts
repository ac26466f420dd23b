/**
 * Executing a plan: the pump. It gathers what is known of each node (the store's record, the key's lock, the task's
 * result), asks the pure scheduling decision what to do (engine/run/schedule.ts: cached, queue, wait, run, recover,
 * finish) and carries it out, handing tasks to a Transport, which runs them somewhere (engine/transports/local.ts:
 * worker processes on this machine; engine/transports/slurm.ts: Slurm jobs) and reports back in the task
 * lifecycle's words (engine/run/lifecycle.ts). The scheduler knows nothing of processes; transports know nothing of
 * the graph. Workers take each key's lock themselves, so several coordinators can share one store.
 */
import { loneNodes, type Plan, type PlanNode } from '../plan/graph.ts';
import { manifestFor } from '../plan/manifest.ts';
import { inspectLock, type LockOwner } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import { cacheKey, type Manifest, type RunRecord } from '../store/record.ts';
import type { Progress, Queued, Running, TaskEvent, Waiting } from './lifecycle.ts';
import { afterResult, beforeRun, blockedBy, isReady, type PlanState, type Step } from './schedule.ts';
import type { Task } from './task.ts';

export type Outcome =
  | { status: 'cached' | 'ran'; record: RunRecord }
  /** io: the file system failed (a full disk, a read-only store), not the stage: repro stops (engine/run/repro.ts). */
  | { status: 'failed'; error: string; log: string; crashed: boolean; io?: boolean }
  | { status: 'blocked'; by: string }
  | { status: 'interrupted' };

/**
 * The task lifecycle's events (engine/run/lifecycle.ts) as they are, with the node and key they are about, and the
 * node's end. `key` is the node's cache key; it is undefined only for a node blocked before its inputs existed.
 */
export type ExecEvent =
  | ((Queued | Running | Progress | Waiting) & { node: PlanNode; key: string })
  | { type: 'finish'; node: PlanNode; key: string | undefined; outcome: Outcome };

export interface ExecutionHooks {
  event(event: ExecEvent): void;
}

/**
 * Nodes absent from `outcomes` never started (an interrupt came first). `ioFailure`: the first node that failed
 * on the file system (a full disk, a read-only store) stopped the run, as every other node would fail the same way.
 */
export interface ExecutionResult {
  outcomes: Map<string, Outcome>;
  interrupted: boolean;
  ioFailure?: string;
}

export interface Executor {
  run(plan: Plan, hooks: ExecutionHooks): Promise<ExecutionResult>;
}

export interface Transport {
  /** Whether it takes a task of this node's stage now (a free worker, room under --max-jobs). */
  hasRoom(stage: string): boolean;
  /** Reports the task's life (engine/run/lifecycle.ts); `result` is the last report. */
  start(task: Task, stage: PlanNode['stage'], report: (event: TaskEvent) => void): void;
  /** Ctrl-C: stop every running task; each still reports its result. */
  interrupt(): void;
  /** The run is over: release whatever the transport holds. */
  close(): void;
}

export interface SchedulerOptions {
  store: Store;
  transport: Transport;
  /** Nodes to run even when cached (once). */
  force?: (node: PlanNode) => boolean;
  /** Re-hash the outputs of cached nodes instead of trusting that they exist. */
  verify?: boolean;
  signal?: AbortSignal;
}

const LOCK_RETRY_MS = 250;

interface Job {
  node: PlanNode;
  key: string;
  manifest: Manifest;
}

export class Scheduler implements Executor {
  constructor(private readonly options: SchedulerOptions) {}

  run(plan: Plan, hooks: ExecutionHooks): Promise<ExecutionResult> {
    return new Run(plan, hooks, this.options).start();
  }
}

/** The state of one execution: which nodes are decided, queued, running, or waiting on another process. */
class Run {
  private readonly outcomes = new Map<string, Outcome>();
  private readonly queue: Job[] = [];
  private readonly running = new Set<Job>();
  /** Nodes whose task ended done in this execution: a forced node runs once, then counts as cached. */
  private readonly forceSpent = new Set<string>();
  private readonly corruptRetries = new Map<string, number>();
  private waiting = 0;
  private interrupted = false;
  private ioFailure: string | undefined;
  private ended = false;
  private resolve!: (result: ExecutionResult) => void;
  private lone: Set<string> | undefined;
  private readonly state: PlanState = {
    decided: (sid) => this.outcomes.has(sid),
    active: (sid) =>
      this.queue.some((job) => job.node.sid === sid) || [...this.running].some((job) => job.node.sid === sid),
    committed: (sid) => this.record(sid) !== undefined,
  };

  constructor(
    private readonly plan: Plan,
    private readonly hooks: ExecutionHooks,
    private readonly options: SchedulerOptions,
  ) {}

  start(): Promise<ExecutionResult> {
    const done = new Promise<ExecutionResult>((resolve) => (this.resolve = resolve));
    const signal = this.options.signal;
    if (signal?.aborted) this.interrupt();
    else signal?.addEventListener('abort', () => this.interrupt(), { once: true });
    for (const node of this.plan.nodes) if (node.deps.length === 0) this.consider(node);
    this.pump();
    return done;
  }

  private record(sid: string): RunRecord | undefined {
    const outcome = this.outcomes.get(sid);
    return outcome && (outcome.status === 'cached' || outcome.status === 'ran') ? outcome.record : undefined;
  }

  /** All inputs are committed: compute the key, and either take the cached run or queue the node. */
  private consider(node: PlanNode): void {
    const manifest = manifestFor(node, (sid) => this.record(sid))!;
    const job = { node, key: cacheKey(manifest), manifest };
    const forced = this.forced(node);
    this.take(job, beforeRun({ forced, committed: forced ? undefined : this.cachedRun(job.key) }));
  }

  private forced(node: PlanNode): boolean {
    return Boolean(this.options.force?.(node)) && !this.forceSpent.has(node.sid);
  }

  private cachedRun(key: string): RunRecord | undefined {
    const store = this.options.store;
    const record = store.lookupRun(key);
    if (!record || !this.options.verify) return record;
    return store.verifyRun(record) ? record : undefined;
  }

  /** Carries out the scheduling decision for a node with a key. */
  private take(job: Job, step: Step): void {
    switch (step.step) {
      case 'finish':
        this.finish(job.node, job.key, step.outcome);
        break;
      case 'queue':
        this.queue.push(job);
        break;
      case 'wait':
        this.retryLater(job, step.owner);
        break;
      case 'run':
        this.startTask(job, step.force, step.staleLock);
        break;
      case 'recover':
        this.recoverFromCorruption(job, step.corrupt);
    }
  }

  private finish(node: PlanNode, key: string | undefined, outcome: Outcome): void {
    this.outcomes.set(node.sid, outcome);
    this.hooks.event({ type: 'finish', node, key, outcome });
    if (outcome.status === 'cached' || outcome.status === 'ran') {
      // Each child is asked in turn: considering one may already have decided the next (a cached chain).
      for (const child of node.children.map((sid) => this.plan.bySid.get(sid)!))
        if (isReady(child, this.state)) this.consider(child);
    } else if (outcome.status === 'failed') {
      for (const child of blockedBy(this.plan, node, this.state))
        this.finish(child, undefined, { status: 'blocked', by: node.ids[0] });
      if (outcome.io && this.ioFailure === undefined) {
        this.ioFailure = outcome.error;
        this.interrupt();
      }
    }
  }

  private pump(): void {
    if (!this.interrupted) {
      // In plan order, skipping stages the transport has no room for (a Slurm run keeps cheap stages local).
      for (let i = 0; i < this.queue.length; i++) {
        if (!this.options.transport.hasRoom(this.queue[i].node.stage.name)) continue;
        this.dispatch(this.queue.splice(i--, 1)[0]);
      }
    }
    if (this.running.size === 0 && this.waiting === 0 && (this.queue.length === 0 || this.interrupted)) this.end();
  }

  /** Just before starting, the store and the key's lock are looked at again: another process may have run it. */
  private dispatch(job: Job): void {
    const { store } = this.options;
    const forced = this.forced(job.node);
    this.take(
      job,
      beforeRun({
        forced,
        committed: forced ? undefined : store.lookupRun(job.key),
        lock: inspectLock(store.lockPath(job.key)),
      }),
    );
  }

  private startTask(job: Job, force: boolean, staleLock: string | undefined): void {
    const task: Task = {
      key: job.key,
      sid: job.node.sid,
      ids: job.node.ids,
      manifest: job.manifest,
      runtime: job.node.runtime,
      ...((this.lone ??= loneNodes(this.plan)).has(job.node.sid) ? { alone: true } : {}),
      ...(force ? { force: true } : {}),
      ...(staleLock !== undefined ? { staleLock } : {}),
    };
    this.running.add(job);
    this.options.transport.start(task, job.node.stage, (event) => this.onEvent(job, event));
  }

  private retryLater(job: Job, owner: LockOwner): void {
    this.hooks.event({ type: 'waiting', node: job.node, key: job.key, owner });
    this.waiting++;
    setTimeout(() => {
      this.waiting--;
      if (!this.interrupted) this.queue.unshift(job);
      this.pump();
    }, LOCK_RETRY_MS);
  }

  private onEvent(job: Job, event: TaskEvent): void {
    const { node, key } = job;
    if (event.type !== 'result') {
      this.hooks.event({ ...event, node, key });
      return;
    }
    this.running.delete(job);
    const { result } = event;
    if (result.type === 'done') {
      // The store's warnings are what the command prints when it ends, once each.
      for (const warning of result.warnings ?? []) this.options.store.warn(warning);
      this.forceSpent.add(node.sid);
    }
    const ending = {
      interrupted: this.interrupted,
      corruptRetries: this.corruptRetries.get(node.sid) ?? 0,
      log: this.options.store.logPath(key),
    };
    this.take(job, afterResult(result, ending));
    this.pump();
  }

  /**
   * Drop the corrupt objects, so their producers' runs count as missing and are recomputed, then retry the
   * consumer once the producers have committed again.
   */
  private recoverFromCorruption(job: Job, hashes: string[]): void {
    this.corruptRetries.set(job.node.sid, (this.corruptRetries.get(job.node.sid) ?? 0) + 1);
    for (const hash of hashes) this.options.store.dropCorruptObject(hash);
    for (const sid of job.node.deps) {
      const record = this.record(sid);
      if (record && Object.values(record.outputs).some((h) => hashes.includes(h))) {
        this.outcomes.delete(sid);
        this.consider(this.plan.bySid.get(sid)!);
      }
    }
    // When every producer is cached again (another process may have fixed it), the consumer goes straight back.
    if (job.node.deps.every((d) => this.record(d))) this.consider(job.node);
  }

  private interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.queue.length = 0;
    this.options.transport.interrupt();
    this.pump();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.options.transport.close();
    this.resolve({ outcomes: this.outcomes, interrupted: this.interrupted, ioFailure: this.ioFailure });
  }
}
