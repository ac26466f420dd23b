/**
 * The local transport: a pool of long-lived worker processes (engine/run/worker.ts) on this machine, one task each
 * at a time. LocalExecutor is the scheduler over it, what `repro --executor local` (the default) runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Scheduler, type SchedulerOptions, type Transport } from '../run/executor.ts';
import type { TaskEvent } from '../run/lifecycle.ts';
import { releaseLockOfDead } from '../store/lock.ts';
import type { Stage } from '../stage.ts';
import type { Store } from '../store/store.ts';
import type { Task } from '../run/task.ts';
import type { FromWorker, ToWorker } from '../run/worker.ts';

const WORKER = new URL('../run/worker-main.ts', import.meta.url);
const TSX = import.meta.resolve('tsx');

export interface LocalPoolOptions {
  store: Store;
  /** Worker processes; default: the number of cores. */
  jobs?: number;
  /** Ctrl-C: running stages are asked to stop, and killed after `graceMs`. */
  graceMs?: number;
  /** The file each worker process runs, given the store's root: engine/run/worker-main.ts, or a test fixture. */
  worker?: URL;
}

interface Worker {
  child: ChildProcess;
  job?: { key: string; report: (event: TaskEvent) => void };
}

export class LocalPool implements Transport {
  private readonly workers = new Set<Worker>();
  private readonly jobs: number;

  constructor(private readonly options: LocalPoolOptions) {
    const jobs = options.jobs ?? availableParallelism();
    // NaN or 0 would start nothing and wait forever.
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
    this.jobs = jobs;
  }

  hasRoom(): boolean {
    return [...this.workers].filter((w) => w.job).length < this.jobs;
  }

  start(task: Task, stage: Stage<any>, report: (event: TaskEvent) => void): void {
    const worker = [...this.workers].find((w) => !w.job) ?? this.spawn();
    worker.job = { key: task.key, report };
    worker.child.send({ type: 'run', task, module: stage.module } satisfies ToWorker);
    // After the send: an interrupt raised from this event must reach the worker after its task, not before.
    report({ type: 'running' });
  }

  private spawn(): Worker {
    const child = fork(this.options.worker ?? WORKER, [this.options.store.root], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker: Worker = { child };
    // Whatever a stage prints goes to its node's log, not over the progress display.
    const capture = (chunk: Buffer) => worker.job && this.options.store.appendLog(worker.job.key, chunk);
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    child.on('message', (message: FromWorker) => {
      const job = worker.job;
      const { key, ...report } = message;
      if (!job || key !== job.key) return;
      if (report.type === 'result') worker.job = undefined;
      job.report(report);
    });
    child.on('exit', (code, signal) => {
      this.workers.delete(worker);
      const job = worker.job;
      if (!job) return;
      worker.job = undefined;
      releaseLockOfDead(this.options.store.lockPath(job.key), child.pid!);
      job.report({
        type: 'result',
        result: { type: 'crashed', message: `worker process died (${signal ?? `exit code ${code}`}) while running it` },
      });
    });
    this.workers.add(worker);
    return worker;
  }

  interrupt(): void {
    for (const worker of this.workers) if (worker.job) worker.child.send({ type: 'abort' } satisfies ToWorker);
    setTimeout(() => {
      for (const worker of this.workers) if (worker.job) worker.child.kill('SIGKILL');
    }, this.options.graceMs ?? 3_000).unref();
  }

  close(): void {
    for (const worker of this.workers) if (worker.child.connected) worker.child.disconnect();
  }
}

/** The default executor: the scheduler over a local pool. */
export class LocalExecutor extends Scheduler {
  constructor(options: Omit<SchedulerOptions, 'transport'> & Omit<LocalPoolOptions, 'store'>) {
    super({ ...options, transport: new LocalPool(options) });
  }
}
