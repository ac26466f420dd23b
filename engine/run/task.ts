/**
 * One task: the unit a transport runs, in a local worker process or a Slurm job (`run-task`). It takes the key's
 * lock itself, refuses a manifest its own code would not compute, reads its inputs, runs the stage and commits.
 * A task names no path of the checkout that planned it: the worker finds the stage in its own code.
 */
import { relative } from 'node:path';
import type { Table } from 'apache-arrow';
import { errorLine, isIOError } from '../../common/io-error.ts';
import { codeFingerprint } from '../plan/fingerprint.ts';
import { Lock, type LockOwner } from '../store/lock.ts';
import { CorruptObjectError, type Store } from '../store/store.ts';
import { HOST } from '../store/files.ts';
import type { Manifest } from '../store/record.ts';
import { stageLocation, type Json, type StageContext, type StageImplementation } from '../stage.ts';
import type { Progress, TaskResult } from './lifecycle.ts';

/** The manifest carries the node's params, input hashes and seed; runtime, how to run it (ctx.runtime). */
export interface Task {
  key: string;
  sid: string;
  ids: string[];
  manifest: Manifest;
  runtime: Record<string, Json>;
  /** No other node of the plan can run beside it (ctx.alone). */
  alone?: boolean;
  /** Run even when the key is committed (repro --force). */
  force?: boolean;
  /** The lock's signature the scheduler watched go stale (engine/store/lock.ts). */
  staleLock?: string;
}

/** Where the task's progress goes: the worker's IPC, the Slurm report file. */
export type TaskProgress = (report: Progress) => void;

/** A stage may report every step; its runner passes on at most one report per this many ms, and always the last. */
const FORWARD_PROGRESS_EVERY_MS = 100;

/** The implementation a stage's `module` names, as a worker imports it. */
export async function loadStage(module: string): Promise<StageImplementation<any>> {
  const { file, exportName } = stageLocation(module);
  const stage = (await import(file))[exportName] as StageImplementation<any> | undefined;
  if (!stage || typeof stage.run !== 'function')
    throw new Error(`${file} has no stage implementation export '${exportName}'`);
  return stage;
}

/**
 * Runs `task` with the stage found at `module` (loaded lazily, after the lock, so an abort during the import is
 * honoured). Never throws: every ending is a TaskResult, and the log in the store says what happened.
 */
export async function runTask(
  task: Task,
  module: string,
  store: Store,
  signal: AbortSignal,
  progress: TaskProgress,
): Promise<TaskResult> {
  const logPath = store.logPath(task.key);
  const log = (message: string) => store.appendLog(task.key, `${new Date().toISOString()} ${message}\n`);
  let lock: Lock | LockOwner;
  try {
    lock = Lock.acquire(store.lockPath(task.key), { staleSignature: task.staleLock });
  } catch (error) {
    if (!isIOError(error)) throw error;
    return { type: 'failed', message: errorLine(error), log: logPath, io: true };
  }
  if (!(lock instanceof Lock)) return { type: 'busy', owner: lock };
  try {
    const committed = task.force ? undefined : store.lookupRun(task.key);
    if (committed) return { type: 'done', record: committed, ran: false };
    log(
      `--- ${task.ids[0]} (key ${task.key}) on ${HOST} pid ${process.pid}${lock.owner.job ? ` slurm job ${lock.owner.job}` : ''}`,
    );
    return await runLocked(task, module, store, signal, progress, log);
  } catch (error) {
    const err = error as Error;
    if (signal.aborted) {
      log(`interrupted: ${err.message}`);
      return { type: 'interrupted' };
    }
    log(`FAILED: ${err.stack ?? err.message}`);
    return {
      type: 'failed',
      message: errorLine(error),
      log: logPath,
      corrupt: error instanceof CorruptObjectError ? error.hashes : undefined,
      io: isIOError(error),
    };
  } finally {
    lock.release();
  }
}

async function runLocked(
  task: Task,
  module: string,
  store: Store,
  signal: AbortSignal,
  progress: TaskProgress,
  log: (m: string) => void,
): Promise<TaskResult> {
  const startedAt = new Date();
  const stage = await loadStage(module);
  // A worker on other code must never commit under a key it did not compute.
  const code = codeFingerprint(stage.module);
  if (code !== task.manifest.code) {
    throw new Error(
      `code fingerprint mismatch for stage '${stage.name}': the task was planned with ${task.manifest.code}, this checkout's code is ${code}; run repro from the same code as the workers`,
    );
  }
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
  signal.throwIfAborted();

  const metrics: Record<string, number | string> = {};
  const warnings: string[] = [];
  let lastProgress = 0;
  const ctx: StageContext<Json> = {
    params: task.manifest.params,
    runtime: task.runtime,
    alone: task.alone ?? false,
    inputs,
    seed: task.manifest.seed,
    progress(done, total, note) {
      const now = Date.now();
      if (now - lastProgress < FORWARD_PROGRESS_EVERY_MS && done < total) return;
      lastProgress = now;
      progress({ type: 'progress', done, total, note });
    },
    log,
    warn(message) {
      warnings.push(message);
      log(`warning: ${message}`);
    },
    metric(name, value) {
      metrics[name] = value;
    },
    checkpoint: {
      load: () => store.loadCheckpoint(task.key),
      save: (table) => store.saveCheckpoint(task.key, table),
    },
    signal,
  };
  const produced = await stage.run(ctx);
  signal.throwIfAborted();

  const outputs: Record<string, string> = {};
  for (const name of stage.outputs) {
    const table = produced[name];
    if (!table || typeof table.numRows !== 'number')
      throw new Error(`stage '${stage.name}' returned no table for output '${name}'`);
    outputs[name] = await store.putObject(table);
  }
  const finishedAt = new Date();
  const record = store.commitRun({
    key: task.key,
    sid: task.sid,
    ids: task.ids,
    stage: stage.name,
    manifest: task.manifest,
    outputs,
    metrics,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    host: HOST,
    pid: process.pid,
    log: relative(store.root, store.logPath(task.key)),
  });
  store.dropCheckpoint(task.key);
  log(`committed in ${record.seconds.toFixed(1)}s`);
  return { type: 'done', record, ran: true, ...(warnings.length > 0 ? { warnings } : {}) };
}
