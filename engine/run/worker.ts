/**
 * A long-lived worker process of the local pool (engine/transports/local.ts). The pool forks it once and sends it one task
 * at a time; it streams progress back and answers with the task's result. Staying alive across tasks matters:
 * importing a stage's dependencies (TensorFlow.js) costs seconds. The process itself is engine/run/worker-main.ts, or a
 * test fixture that passes its own store.
 */
import { releaseAllLocks } from '../store/lock.ts';
import type { Store } from '../store/store.ts';
import type { TaskReport } from './lifecycle.ts';
import { runTask, type Task } from './task.ts';

/** `module` is where this checkout keeps the stage: the pool and its workers share one checkout. */
export type ToWorker = { type: 'run'; task: Task; module: string } | { type: 'abort' };

/** The task's own reports, as they are, with the key they are about. */
export type FromWorker = TaskReport & { key: string };

/** The pool's pid; process.ppid is read afresh each time, and changes when the pool dies and this is reparented. */
const POOL_PID = process.ppid;

function send(message: FromWorker): void {
  process.send?.(message);
}

/**
 * Runs the pool's tasks over `store` until the pool goes. A worker belongs to one execution, which runs over one
 * store: the pool names its root when it forks the worker (the first argument).
 */
export function serveTasks(store: Store): void {
  let current: AbortController | undefined;
  process.on('message', (message: ToWorker) => {
    if (message.type === 'abort') {
      current?.abort(new Error('interrupted'));
      return;
    }
    // Before anything that awaits: an abort that arrives while the stage loads must not be lost.
    const controller = (current = new AbortController());
    const { key } = message.task;
    void runTask(message.task, message.module, store, controller.signal, (progress) => {
      // A stage that computes without yielding (a training step on wasm) never sees 'disconnect': its progress
      // reports, which come from inside its loops, are where it learns that the pool is gone.
      if (process.ppid !== POOL_PID) leave();
      send({ ...progress, key });
    }).then((result) => {
      current = undefined;
      send({ type: 'result', key, result });
    });
  });
  // Ctrl-C, a terminal's hang-up and a group `kill` reach the whole process group; the pool decides how this worker
  // stops (abort, then kill), and a worker whose pool is gone stops by itself (leave).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  // The pool is gone (killed, or done with us): stop; an unfinished node keeps its checkpoint for next time.
  process.on('disconnect', leave);
}

function leave(): never {
  releaseAllLocks();
  process.exit(0);
}
