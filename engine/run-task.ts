/**
 * `run-task`: one task in a process of its own, what a Slurm job runs. The stage is found by name in the graph
 * this checkout builds from the same params; progress and the result go to the --report file (rewritten whole
 * each time, so a reader on another host never sees half of it); the exit status tells the result apart.
 */
import { readFileSync } from 'node:fs';
import type { NodeSpec } from './graph.ts';
import { type Store } from './store.ts';
import { writeAtomic } from './files.ts';
import { EXIT_STATUS, runTask, type Task, type TaskResult } from './task.ts';

/** What run-task writes to its --report file: the last progress, then the result. */
export type JobReport = { type: 'progress'; done: number; total: number; note?: string } | { type: 'result'; result: TaskResult };

const REPORT_EVERY_MS = 1_000;

export async function runTaskCommand(taskFile: string, nodes: NodeSpec[], store: Store, reportFile?: string): Promise<number> {
  const task = readTask(taskFile);
  const stage = nodes.find((n) => n.stage.name === task.manifest.stage)?.stage;
  if (!stage) throw new Error(`${taskFile}: stage '${task.manifest.stage}' is not in this graph (check -p and --set match the coordinator's)`);
  const report = (message: JobReport) => reportFile && writeAtomic(reportFile, Buffer.from(JSON.stringify(message)));

  // Slurm stops a job with SIGTERM (scancel, time limit, preemption), Ctrl-C with SIGINT: stop at the next step.
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`stopped by ${signal}`));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let reportedAt = 0;
  const result = await runTask(task, stage.module, store, controller.signal, (done, total, note) => {
    if (Date.now() - reportedAt < REPORT_EVERY_MS && done < total) return;
    reportedAt = Date.now();
    report({ type: 'progress', done, total, note });
  });
  report({ type: 'result', result });
  if (result.type === 'failed') console.error(`error: ${task.ids[0]}: ${result.message} (log: ${result.log})`);
  if (result.type === 'busy') console.error(`${task.ids[0]}: key ${task.key} is locked by pid ${result.owner.pid} on ${result.owner.host}`);
  return EXIT_STATUS[result.type];
}

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
  return task;
}
