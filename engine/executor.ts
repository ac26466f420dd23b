/**
 * Executing a plan. The Executor interface is what `repro` talks to; LocalExecutor runs nodes in a pool of
 * long-lived worker processes on this machine. A distributed executor would implement the same interface over
 * the same store (the locks and the commit protocol already hold across machines).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { errorLine, isIOError } from '../common/io-error.ts';
import { descendants, type Plan, type PlanNode } from './graph.ts';
import { cacheKey, manifestFor } from './keys.ts';
import { Lock, releaseAllLocks, type LockOwner } from './lock.ts';
import type { Manifest, RunRecord, Store } from './store.ts';
import type { FromWorker, Task, ToWorker } from './worker.ts';

export type Outcome =
  | { status: 'cached' | 'ran'; record: RunRecord }
  /** io: the file system failed (a full disk, a read-only store), not the stage: repro stops (engine/repro.ts). */
  | { status: 'failed'; error: string; log: string; crashed: boolean; io?: boolean }
  | { status: 'blocked'; by: string }
  | { status: 'interrupted' };

export type ExecEvent =
  | { type: 'start'; node: PlanNode }
  | { type: 'progress'; node: PlanNode; done: number; total: number; note?: string }
  | { type: 'waiting'; node: PlanNode; owner: LockOwner }
  | { type: 'finish'; node: PlanNode; outcome: Outcome };

export interface ExecutionHooks {
  event(event: ExecEvent): void;
}

/** Nodes absent from `outcomes` never started (an interrupt came first). */
export interface ExecutionResult {
  outcomes: Map<string, Outcome>;
  interrupted: boolean;
}

export interface Executor {
  run(plan: Plan, hooks: ExecutionHooks): Promise<ExecutionResult>;
}

export interface LocalExecutorOptions {
  store: Store;
  /** Worker processes; default: the number of cores. */
  jobs?: number;
  /** Nodes to run even when cached (once). */
  force?: (node: PlanNode) => boolean;
  /** Re-hash the outputs of cached nodes instead of trusting that they exist. */
  verify?: boolean;
  /** Ctrl-C: running stages are asked to stop, and killed after `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
}

const WORKER = new URL('./worker.ts', import.meta.url);
const TSX = import.meta.resolve('tsx');
const LOCK_RETRY_MS = 250;
const MAX_CORRUPT_RETRIES = 2;

interface Job { node: PlanNode; key: string; manifest: Manifest }

interface Worker {
  child: ChildProcess;
  job?: Job & { lock: Lock; logPath: string };
}

export class LocalExecutor implements Executor {
  private readonly jobs: number;
  constructor(private readonly options: LocalExecutorOptions) {
    const jobs = options.jobs ?? availableParallelism();
    // NaN or 0 would start nothing and wait forever.
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
    this.jobs = jobs;
  }

  run(plan: Plan, hooks: ExecutionHooks): Promise<ExecutionResult> {
    return new Run(plan, hooks, this.options, this.jobs).start();
  }
}

/** The state of one execution: which nodes are decided, queued, running, or waiting on another process. */
class Run {
  private readonly outcomes = new Map<string, Outcome>();
  private readonly queue: Job[] = [];
  private readonly workers = new Set<Worker>();
  private readonly forced = new Set<string>();
  private readonly corruptRetries = new Map<string, number>();
  private waiting = 0;
  private interrupted = false;
  private ended = false;
  private resolve!: (result: ExecutionResult) => void;

  constructor(
    private readonly plan: Plan,
    private readonly hooks: ExecutionHooks,
    private readonly options: LocalExecutorOptions,
    private readonly jobs: number,
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
    const key = cacheKey(manifest);
    const cached = this.forcedNow(node) ? undefined : this.cachedRun(key);
    if (cached) this.finish(node, { status: 'cached', record: cached });
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

  private finish(node: PlanNode, outcome: Outcome): void {
    this.outcomes.set(node.sid, outcome);
    this.hooks.event({ type: 'finish', node, outcome });
    if (outcome.status === 'cached' || outcome.status === 'ran') {
      for (const child of node.children.map((sid) => this.plan.bySid.get(sid)!)) {
        if (!this.outcomes.has(child.sid) && !this.isQueuedOrRunning(child) && child.deps.every((d) => this.record(d))) this.consider(child);
      }
    } else if (outcome.status === 'failed') {
      for (const sid of descendants(this.plan, [node.sid])) {
        const child = this.plan.bySid.get(sid)!;
        if (!this.outcomes.has(sid)) this.finish(child, { status: 'blocked', by: node.ids[0] });
      }
    }
  }

  private isQueuedOrRunning(node: PlanNode): boolean {
    return this.queue.some((job) => job.node === node) || [...this.workers].some((w) => w.job?.node === node);
  }

  private get running(): number {
    return [...this.workers].filter((w) => w.job).length;
  }

  private pump(): void {
    while (!this.interrupted && this.queue.length && this.running < this.jobs) this.startJob(this.queue.shift()!);
    if (this.running === 0 && this.waiting === 0 && (this.queue.length === 0 || this.interrupted)) this.end();
  }

  private startJob(job: Job): void {
    const { store } = this.options;
    let lock: Lock | LockOwner;
    try {
      lock = Lock.acquire(store.lockPath(job.key));
    } catch (error) {
      if (!isIOError(error)) throw error;
      this.finish(job.node, { status: 'failed', crashed: false, io: true, log: store.logPath(job.key), error: errorLine(error) });
      return;
    }
    if (!(lock instanceof Lock)) {
      // Another process runs this key: wait for it without holding a worker, then take its result.
      this.hooks.event({ type: 'waiting', node: job.node, owner: lock });
      this.waiting++;
      setTimeout(() => {
        this.waiting--;
        this.queue.unshift(job);
        this.pump();
      }, LOCK_RETRY_MS);
      return;
    }
    const committed = this.forcedNow(job.node) ? undefined : store.lookupRun(job.key);
    if (committed) {
      lock.release();
      this.finish(job.node, { status: 'cached', record: committed });
      return;
    }
    const worker = [...this.workers].find((w) => !w.job) ?? this.spawn();
    worker.job = { ...job, lock, logPath: store.logPath(job.key) };
    const task: Task = {
      key: job.key, sid: job.node.sid, ids: job.node.ids, module: job.node.stage.module, manifest: job.manifest, storeRoot: store.root,
    };
    worker.child.send({ type: 'run', task } satisfies ToWorker);
    // After the send: an interrupt raised from this event must reach the worker after its task, not before.
    this.hooks.event({ type: 'start', node: job.node });
  }

  private spawn(): Worker {
    const child = fork(WORKER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const worker: Worker = { child };
    // Whatever a stage prints goes to its node's log, not over the progress display.
    const capture = (chunk: Buffer) => worker.job && this.options.store.appendLog(worker.job.key, chunk);
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    child.on('message', (message: FromWorker) => this.onMessage(worker, message));
    child.on('exit', (code, signal) => {
      this.workers.delete(worker);
      const job = worker.job;
      if (!job) return;
      worker.job = undefined;
      job.lock.release();
      if (this.interrupted) this.finish(job.node, { status: 'interrupted' });
      else this.finish(job.node, { status: 'failed', crashed: true, log: job.logPath, error: `worker process died (${signal ?? `exit code ${code}`}) while running it` });
      this.pump();
    });
    this.workers.add(worker);
    return worker;
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    const job = worker.job;
    if (!job) return;
    if (message.type === 'progress') {
      this.hooks.event({ type: 'progress', node: job.node, done: message.done, total: message.total, note: message.note });
      return;
    }
    worker.job = undefined;
    job.lock.release();
    if (message.type === 'done') {
      this.forced.add(job.node.sid);
      this.finish(job.node, { status: 'ran', record: message.record });
    } else if (message.corrupt && !this.interrupted) {
      this.recoverFromCorruption(job, message.corrupt);
    } else {
      this.finish(job.node, this.interrupted ? { status: 'interrupted' } : { status: 'failed', crashed: false, log: job.logPath, error: message.message, io: message.io });
    }
    this.pump();
  }

  /**
   * An input's bytes no longer match its hash: drop the object, so its producer's run counts as missing and
   * is recomputed, then retry the consumer once the producer has committed again.
   */
  private recoverFromCorruption(job: Job & { logPath: string }, hashes: string[]): void {
    const retries = (this.corruptRetries.get(job.node.sid) ?? 0) + 1;
    this.corruptRetries.set(job.node.sid, retries);
    if (retries > MAX_CORRUPT_RETRIES) {
      this.finish(job.node, { status: 'failed', crashed: false, log: job.logPath, error: `inputs still corrupt after ${MAX_CORRUPT_RETRIES} recomputations: ${hashes.join(', ')}` });
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
    for (const worker of this.workers) if (worker.job) worker.child.send({ type: 'abort' } satisfies ToWorker);
    setTimeout(() => {
      for (const worker of this.workers) if (worker.job) worker.child.kill('SIGKILL');
    }, this.options.graceMs ?? 3_000).unref();
    this.pump();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const worker of this.workers) if (worker.child.connected) worker.child.disconnect();
    releaseAllLocks();
    this.resolve({ outcomes: this.outcomes, interrupted: this.interrupted });
  }
}
