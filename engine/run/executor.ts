/**
 * Executing a plan. The Scheduler decides, node by node, cached / blocked / forced / verified / corrupt-retry and
 * hands ready tasks to a Transport, which runs them somewhere (engine/transports/local.ts: worker processes on this machine;
 * engine/transports/slurm.ts: Slurm jobs) and reports back in the task lifecycle's words (engine/run/lifecycle.ts). The scheduler knows nothing of processes; transports know
 * nothing of the graph. Workers take each key's lock themselves, so several coordinators can share one store.
 */
import { descendants, loneNodes, type Plan, type PlanNode } from '../plan/graph.ts';
import { cacheKey, manifestFor } from '../plan/keys.ts';
import { inspectLock, type LockOwner } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import type { Manifest, RunRecord } from '../store/record.ts';
import type { Progress, Queued, Running, TaskEvent, Waiting } from './lifecycle.ts';
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
const MAX_CORRUPT_RETRIES = 2;

interface Job { node: PlanNode; key: string; manifest: Manifest }

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
  private readonly forced = new Set<string>();
  private readonly corruptRetries = new Map<string, number>();
  private waiting = 0;
  private interrupted = false;
  private ioFailure: string | undefined;
  private ended = false;
  private resolve!: (result: ExecutionResult) => void;
  private lone: Set<string> | undefined;

  constructor(private readonly plan: Plan, private readonly hooks: ExecutionHooks, private readonly options: SchedulerOptions) {}

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
    const key = cacheKey(manifest);
    const cached = this.forcedNow(node) ? undefined : this.cachedRun(key);
    if (cached) this.finish(node, key, { status: 'cached', record: cached });
    else this.queue.push({ node, key, manifest });
  }

  /** A forced node runs once per execution: after it ran, its record counts as cached like any other. */
  private forcedNow(node: PlanNode): boolean {
    return Boolean(this.options.force?.(node)) && !this.forced.has(node.sid);
  }

  private cachedRun(key: string): RunRecord | undefined {
    const store = this.options.store;
    const record = store.lookupRun(key);
    if (!record || !this.options.verify) return record;
    return store.verifyRun(record) ? record : undefined;
  }

  private finish(node: PlanNode, key: string | undefined, outcome: Outcome): void {
    this.outcomes.set(node.sid, outcome);
    this.hooks.event({ type: 'finish', node, key, outcome });
    if (outcome.status === 'cached' || outcome.status === 'ran') {
      for (const child of node.children.map((sid) => this.plan.bySid.get(sid)!)) {
        if (!this.outcomes.has(child.sid) && !this.isQueuedOrRunning(child) && child.deps.every((d) => this.record(d))) this.consider(child);
      }
    } else if (outcome.status === 'failed') {
      for (const sid of descendants(this.plan, [node.sid])) {
        const child = this.plan.bySid.get(sid)!;
        if (!this.outcomes.has(sid)) this.finish(child, undefined, { status: 'blocked', by: node.ids[0] });
      }
    }
  }

  private isQueuedOrRunning(node: PlanNode): boolean {
    return this.queue.some((job) => job.node === node) || [...this.running].some((job) => job.node === node);
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

  private dispatch(job: Job): void {
    const { store } = this.options;
    const forced = this.forcedNow(job.node);
    const committed = forced ? undefined : store.lookupRun(job.key);
    if (committed) return this.finish(job.node, job.key, { status: 'cached', record: committed });
    // Another process runs this key: wait for it without using the transport, then take its result.
    const lock = inspectLock(store.lockPath(job.key));
    if (lock !== 'free' && lock.live) return this.retryLater(job, lock.owner);
    const task: Task = {
      key: job.key, sid: job.node.sid, ids: job.node.ids, manifest: job.manifest, runtime: job.node.runtime,
      ...((this.lone ??= loneNodes(this.plan)).has(job.node.sid) ? { alone: true } : {}),
      ...(forced ? { force: true } : {}), ...(lock !== 'free' ? { staleLock: lock.signature } : {}),
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
    const result = event.result;
    if (result.type === 'done') {
      // The store's warnings are what the command prints when it ends, once each.
      for (const warning of result.warnings ?? []) this.options.store.warn(warning);
      this.forced.add(node.sid);
      this.finish(node, key, { status: result.ran ? 'ran' : 'cached', record: result.record });
    } else if (result.type === 'busy') {
      this.retryLater(job, result.owner);
    } else if (result.type === 'interrupted' || this.interrupted) {
      this.finish(node, key, { status: 'interrupted' });
    } else if (result.type === 'crashed') {
      this.finish(node, key, { status: 'failed', crashed: true, log: this.options.store.logPath(key), error: result.message });
    } else if (result.corrupt) {
      this.recoverFromCorruption(job, result.corrupt, result.log);
    } else {
      this.finish(node, key, { status: 'failed', crashed: false, log: result.log, error: result.message, io: result.io });
      if (result.io && this.ioFailure === undefined) {
        this.ioFailure = result.message;
        this.interrupt();
      }
    }
    this.pump();
  }

  /**
   * An input's bytes no longer match its hash: drop the object, so its producer's run counts as missing and
   * is recomputed, then retry the consumer once the producer has committed again.
   */
  private recoverFromCorruption(job: Job, hashes: string[], log: string): void {
    const retries = (this.corruptRetries.get(job.node.sid) ?? 0) + 1;
    this.corruptRetries.set(job.node.sid, retries);
    if (retries > MAX_CORRUPT_RETRIES) {
      this.finish(job.node, job.key, { status: 'failed', crashed: false, log, error: `inputs still corrupt after ${MAX_CORRUPT_RETRIES} recomputations: ${hashes.join(', ')}` });
      return;
    }
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
