/**
 * `run-task`: one task in a process of its own, what a Slurm job runs. The stage is found by name in the graph
 * this checkout builds from the same params; progress and the result go to the --report file (rewritten whole
 * each time, so a reader on another host never sees half of it); the exit status tells the result apart.
 */
import { readFileSync } from 'node:fs';
import { codeFingerprint } from '../plan/fingerprint.ts';
import type { NodeSpec } from '../plan/graph.ts';
import { checkHash, checkId } from '../store/names.ts';
import { cacheKey } from '../store/record.ts';
import type { Store } from '../store/store.ts';
import { writeAtomic } from '../store/files.ts';
import type { TaskReport, TaskResult } from './lifecycle.ts';
import { runTask, type Task } from './task.ts';

/** The exit status per result, so a transport can tell them apart without reading anything else. */
const EXIT_STATUS: Record<TaskResult['type'], number> = { done: 0, failed: 1, busy: 75, interrupted: 130 };
/** The --report file is rewritten at most this often while the task runs; the result always. */
const REPORT_EVERY_MS = 1_000;

export async function runTaskCommand(
  taskFile: string,
  nodes: NodeSpec[],
  store: Store,
  reportFile?: string,
): Promise<number> {
  // The file holds the latest report (engine/run/lifecycle.ts), the last progress and then the result.
  const report = (message: TaskReport) => reportFile && writeAtomic(reportFile, Buffer.from(JSON.stringify(message)));
  let task: Task;
  let stage: NodeSpec['stage'] | undefined;
  try {
    task = readTask(taskFile);
    stage = nodes.find((n) => n.stage.name === task.manifest.stage)?.stage;
    if (!stage)
      throw new Error(
        `${taskFile}: stage '${task.manifest.stage}' is not in this graph (check -p and --set match the coordinator's)`,
      );
    checkKey(taskFile, task, codeFingerprint(stage.module));
  } catch (error) {
    // A refused task is a result, not a job that ended before reporting: the coordinator must not resubmit it.
    report({ type: 'result', result: { type: 'failed', message: (error as Error).message, log: '' } });
    throw error;
  }

  // Slurm stops a job with SIGTERM (scancel, time limit, preemption), Ctrl-C with SIGINT: stop at the next step.
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`stopped by ${signal}`));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let reportedAt = 0;
  const result = await runTask(task, stage.module, store, controller.signal, (progress) => {
    if (Date.now() - reportedAt < REPORT_EVERY_MS && progress.done < progress.total) return;
    reportedAt = Date.now();
    report(progress);
  });
  report({ type: 'result', result });
  if (result.type === 'failed') console.error(`error: ${task.ids[0]}: ${result.message} (log: ${result.log})`);
  if (result.type === 'busy')
    console.error(`${task.ids[0]}: key ${task.key} is locked by pid ${result.owner.pid} on ${result.owner.host}`);
  return EXIT_STATUS[result.type];
}

/**
 * A task file sits on a shared file system that other users' jobs can write: every field is checked before the
 * store is touched, and every name that becomes a path has the store's one format (engine/store/names.ts).
 */
function readTask(file: string): Task {
  let task: Task;
  try {
    task = JSON.parse(readFileSync(file, 'utf8')) as Task;
  } catch (error) {
    throw new Error(`${file}: not a readable task file (${(error as Error).message})`);
  }
  for (const field of ['key', 'sid', 'ids', 'manifest', 'runtime'] as const) {
    if (task?.[field] === undefined) throw new Error(`${file}: a task needs '${field}'`);
  }
  const { manifest } = task;
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  try {
    checkHash(task.key, 'key');
    checkHash(task.sid, 'sid');
    if (!Array.isArray(task.ids) || task.ids.length === 0) throw new Error(`ids must be a non-empty list of node ids`);
    for (const [i, id] of task.ids.entries()) checkId(id, `ids[${i}]`);
    if (
      !isObject(manifest) ||
      typeof manifest.stage !== 'string' ||
      typeof manifest.code !== 'string' ||
      !Number.isInteger(manifest.seed) ||
      !isObject(manifest.inputs)
    ) {
      throw new Error('manifest must be an object with stage, code, params, inputs and an integer seed');
    }
    for (const [name, hash] of Object.entries(manifest.inputs)) checkHash(hash, `manifest.inputs.${name}`);
    if (!isObject(task.runtime)) throw new Error('runtime must be an object');
    if (task.staleLock !== undefined && typeof task.staleLock !== 'string')
      throw new Error('staleLock must be a string');
    if (task.alone !== undefined && typeof task.alone !== 'boolean') throw new Error('alone must be true or false');
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return task;
}

/** The key is recomputed from the manifest with this checkout's code: a task may not commit under another's key. */
function checkKey(file: string, task: Task, code: string): void {
  if (code !== task.manifest.code) {
    throw new Error(
      `${file}: the task was planned with code ${task.manifest.code} for stage '${task.manifest.stage}', this checkout's is ${code}; run repro from the same code as the workers`,
    );
  }
  const computed = cacheKey(task.manifest);
  if (computed !== task.key)
    throw new Error(
      `${file}: the task's key ${task.key} is not its manifest's, which is ${computed}; refusing to run it`,
    );
}
