/**
 * A long-lived worker process of the local pool (engine/local.ts). The pool forks it once and sends it one task
 * at a time; it streams progress back and answers with the task's result. Staying alive across tasks matters:
 * importing a stage's dependencies (TensorFlow.js) costs seconds.
 */
import { releaseAllLocks } from './lock.ts';
import { Store } from './store.ts';
import { runTask, type Task, type TaskResult } from './task.ts';

/** `module` is where this checkout keeps the stage: the pool and its workers share one checkout. */
export type ToWorker = { type: 'run'; task: Task; module: string; storeRoot: string } | { type: 'abort' };

export type FromWorker =
  | { type: 'progress'; key: string; done: number; total: number; note?: string }
  | { type: 'result'; key: string; result: TaskResult };

// A worker belongs to one execution, which runs over one store: every task names the same root.
let store: Store | undefined;
let openStore = (root: string): Store => new Store(root);
let current: AbortController | undefined;
/** The pool's pid; process.ppid is read afresh each time, and changes when the pool dies and this is reparented. */
const POOL_PID = process.ppid;

/** For a test fixture's worker, which imports this module: a store that fails on purpose. */
export function openStoreWith(open: (root: string) => Store): void {
  openStore = open;
}

function send(message: FromWorker): void {
  process.send?.(message);
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'abort') {
    current?.abort(new Error('interrupted'));
    return;
  }
  // Before anything that awaits: an abort that arrives while the stage loads must not be lost.
  const controller = (current = new AbortController());
  const { key } = message.task;
  store ??= openStore(message.storeRoot);
  void runTask(message.task, message.module, store, controller.signal, (done, total, note) => {
    // A stage that computes without yielding (a training step on wasm) never sees 'disconnect': its progress
    // reports, which come from inside its loops, are where it learns that the pool is gone.
    if (process.ppid !== POOL_PID) leave();
    send({ type: 'progress', key, done, total, note });
  })
    .then((result) => {
      current = undefined;
      send({ type: 'result', key, result });
    });
});
// Ctrl-C, a terminal's hang-up and a group `kill` reach the whole process group; the pool decides how this worker
// stops (abort, then kill), and a worker whose pool is gone stops by itself (leave).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
// The pool is gone (killed, or done with us): stop; an unfinished node keeps its checkpoint for next time.
process.on('disconnect', leave);

function leave(): never {
  releaseAllLocks();
  process.exit(0);
}
