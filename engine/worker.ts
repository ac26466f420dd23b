/**
 * A long-lived worker process. The executor forks it once and sends it one node at a time: it reads the
 * node's inputs from the store, runs the stage, writes the outputs and commits the run, and streams progress
 * back. Staying alive across nodes matters: importing a stage's dependencies (TensorFlow.js) costs seconds.
 */
import { relative } from 'node:path';
import type { Table } from 'apache-arrow';
import { errorLine, isIOError } from '../common/io-error.ts';
import { CorruptObjectError, HOST, Store, type Manifest, type RunRecord } from './store.ts';
import { stageLocation, type Json, type Stage, type StageContext } from './stage.ts';

/** The manifest carries the node's params, input hashes and seed. */
export interface Task {
  key: string;
  sid: string;
  ids: string[];
  module: string;
  manifest: Manifest;
  storeRoot: string;
}

export type ToWorker = { type: 'run'; task: Task } | { type: 'abort' };

export type FromWorker =
  | { type: 'progress'; done: number; total: number; note?: string }
  | { type: 'done'; record: RunRecord }
  | { type: 'failed'; message: string; corrupt?: string[]; io?: boolean };

const PROGRESS_EVERY_MS = 100;
// A worker belongs to one execution, which runs over one store: every task names the same root.
let workerStore: Store | undefined;
let current: AbortController | undefined;

function send(message: FromWorker): void {
  process.send?.(message);
}

async function loadStage(module: string): Promise<Stage<any>> {
  const { file, exportName } = stageLocation(module);
  const stage = (await import(file))[exportName] as Stage<any> | undefined;
  if (!stage || typeof stage.run !== 'function') throw new Error(`${file} has no stage export '${exportName}'`);
  return stage;
}

async function runTask(task: Task): Promise<FromWorker> {
  // Before anything that awaits: an abort that arrives while the stage loads or its inputs are read must not be lost.
  const controller = (current = new AbortController());
  const store = (workerStore ??= new Store(task.storeRoot));
  const logPath = store.logPath(task.key);
  const log = (message: string) => store.appendLog(task.key, `${new Date().toISOString()} ${message}\n`);
  log(`--- ${task.ids[0]} (key ${task.key}) on ${HOST} pid ${process.pid}`);
  const startedAt = new Date();
  try {
    const stage = await loadStage(task.module);
    const inputs: Record<string, Table> = {};
    const corrupt: string[] = [];
    for (const [name, hash] of Object.entries(task.manifest.inputs)) {
      try {
        inputs[name] = await store.getObject(hash);
      } catch (error) {
        // A vanished input (deleted by a concurrent gc, or by hand) is recovered like a corrupt one: recompute it.
        if (!(error instanceof CorruptObjectError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        corrupt.push(hash);
      }
    }
    if (corrupt.length) throw new CorruptObjectError(corrupt);
    controller.signal.throwIfAborted();

    const metrics: Record<string, number | string> = {};
    let lastProgress = 0;
    const ctx: StageContext<Json> = {
      params: task.manifest.params,
      inputs,
      seed: task.manifest.seed,
      progress(done, total, note) {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_EVERY_MS && done < total) return;
        lastProgress = now;
        send({ type: 'progress', done, total, note });
      },
      log,
      metric(name, value) {
        metrics[name] = value;
      },
      checkpoint: {
        load: () => store.loadCheckpoint(task.key),
        save: (table) => store.saveCheckpoint(task.key, table),
      },
      signal: controller.signal,
    };
    const produced = await stage.run(ctx);
    controller.signal.throwIfAborted();

    const outputs: Record<string, string> = {};
    for (const name of stage.outputs) {
      const table = produced[name];
      if (!table || typeof table.numRows !== 'number') throw new Error(`stage '${stage.name}' returned no table for output '${name}'`);
      outputs[name] = await store.putObject(table);
      crashHook(stage.name);
    }
    const finishedAt = new Date();
    const record = store.commitRun({
      key: task.key, sid: task.sid, ids: task.ids, stage: stage.name, manifest: task.manifest, outputs, metrics,
      startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(),
      seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000, host: HOST, pid: process.pid,
      log: relative(store.root, logPath),
    });
    store.dropCheckpoint(task.key);
    log(`committed in ${record.seconds.toFixed(1)}s`);
    return { type: 'done', record };
  } catch (error) {
    const err = error as Error;
    log(`FAILED: ${err.stack ?? err.message}`);
    return { type: 'failed', message: errorLine(error), corrupt: error instanceof CorruptObjectError ? error.hashes : undefined, io: isIOError(error) };
  } finally {
    current = undefined;
  }
}

/**
 * Test hook for crash safety: PIPELINE_TEST_CRASH_AFTER_OBJECT=<stage name> kills this worker and the repro
 * that owns it, as a power cut would, after an output object is durable and before the run record exists.
 */
function crashHook(stageName: string): void {
  if (process.env.PIPELINE_TEST_CRASH_AFTER_OBJECT !== stageName) return;
  process.kill(process.ppid, 'SIGKILL');
  process.kill(process.pid, 'SIGKILL');
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'abort') current?.abort(new Error('interrupted'));
  else void runTask(message.task).then(send);
});
// Ctrl-C reaches the whole process group; the parent decides how this worker stops (abort, then kill).
process.on('SIGINT', () => {});
// The parent is gone (killed, or done with us): stop; an unfinished node keeps its checkpoint for next time.
process.on('disconnect', () => process.exit(0));
