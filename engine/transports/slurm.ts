/**
 * The Slurm transport: each task is one batch job running `run-task` over the shared store; cheap stages go to a
 * local pool in the coordinator instead (a scheduler round trip would cost more than they do). Jobs are watched
 * with squeue; a job reports through a file in the store that run-task rewrites atomically (progress, then its
 * result), so nothing depends on Slurm's exit-code bookkeeping or on accounting being enabled.
 *
 *   slurm/tasks/<key>-<n>.json  the task one submission runs (one file each: two coordinators may submit a key)
 *   slurm/jobs/<key>.json       the job now running a key ({ id, report, task }): a later repro adopts it
 *   slurm/reports/<key>-<n>.json  a job attempt's latest report (TaskReport, engine/run/lifecycle.ts)
 *   slurm/out/<jobid>.out      the job's stdout and stderr
 *
 * A job Slurm ends before it reports a result (time limit, preemption, node failure, scancel) is resubmitted up
 * to `retries` times; training resumes from its checkpoint. A stage that throws is reported, never retried.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Transport } from '../run/executor.ts';
import type { Crashed, TaskEvent, TaskReport, TaskResult } from '../run/lifecycle.ts';
import type { LocalPool } from './local.ts';
import { sbatchOptions, type SlurmConfig } from './slurm-config.ts';
import type { Stage } from '../stage.ts';
import type { Store } from '../store/store.ts';
import { writeAtomic } from '../store/files.ts';
import type { Task } from '../run/task.ts';

export interface SlurmOptions {
  store: Store;
  config: SlurmConfig;
  /** Runs the cheap stages (config.local). */
  local: LocalPool;
  /** At most this many jobs submitted at once. */
  maxJobs: number;
  /** Resubmissions of a job Slurm ended before it reported. */
  retries: number;
  /** The command line that runs one task file, writing its reports to reportFile (node … pipeline.ts run-task …). */
  command: (taskFile: string, reportFile: string) => string[];
  pollMs?: number;
}

interface Job {
  task: Task;
  stage: string;
  report: (event: TaskEvent) => void;
  id: string;
  taskFile: string;
  reportFile: string;
  attempt: number;
  state?: string;
  progress?: string;
}

/**
 * Ends in which Slurm stopped the job (or lost it: GONE means squeue no longer knows it): worth running again.
 * FAILED (the job's own non-zero exit) and OUT_OF_MEMORY would only fail again.
 */
const RETRYABLE = new Set([
  'CANCELLED',
  'TIMEOUT',
  'PREEMPTED',
  'NODE_FAIL',
  'BOOT_FAIL',
  'DEADLINE',
  'COMPLETED',
  'GONE',
]);
// Slurm's states in which a job may still run (squeue's %T); every other state is an end.
const ACTIVE = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
]);

export class SlurmTransport implements Transport {
  private readonly jobs = new Set<Job>();
  private readonly dir: string;
  private timer?: NodeJS.Timeout;
  private interrupted = false;
  private lastWarning?: string;

  constructor(private readonly options: SlurmOptions) {
    if (!Number.isInteger(options.maxJobs) || options.maxJobs < 1)
      throw new Error(`--max-jobs must be a positive integer, got ${options.maxJobs}`);
    if (!Number.isInteger(options.retries) || options.retries < 0)
      throw new Error(`--retries must be a whole number, got ${options.retries}`);
    this.dir = slurmDir(options.store);
    for (const sub of ['tasks', 'jobs', 'reports', 'out']) mkdirSync(join(this.dir, sub), { recursive: true });
  }

  private isLocal(stage: string): boolean {
    return this.options.config.local.includes(stage);
  }

  hasRoom(stage: string): boolean {
    return this.isLocal(stage) ? this.options.local.hasRoom() : this.jobs.size < this.options.maxJobs;
  }

  start(task: Task, stage: Stage<any>, report: (event: TaskEvent) => void): void {
    if (this.isLocal(stage.name)) {
      this.options.local.start(task, stage, report);
      return;
    }
    const adopted = this.adopt(task, stage.name, report);
    if (!adopted) this.submit({ task, stage: stage.name, report, id: '', taskFile: '', reportFile: '', attempt: 1 });
    this.timer ??= setInterval(() => this.poll(), this.options.pollMs ?? 500);
  }

  /** A job an earlier coordinator submitted for this key that is still queued or running: watch it, do not resubmit. */
  private adopt(task: Task, stage: string, report: (event: TaskEvent) => void): boolean {
    const submitted = readJson<{ id: string; report: string; task: string }>(
      join(this.dir, 'jobs', `${task.key}.json`),
    );
    if (!submitted) return false;
    const { id, report: reportFile, task: taskFile } = submitted;
    const state = jobStates([id]).get(id)?.state;
    if (!state || !ACTIVE.has(state)) return false;
    this.jobs.add({ task, stage, report, id, taskFile, reportFile, attempt: 1 });
    return true;
  }

  private submit(job: Job): void {
    const { task } = job;
    // Files of this submission alone: a finished job of another coordinator must not remove what this one reads.
    const submission = `${task.key}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.json`;
    job.taskFile = join(this.dir, 'tasks', submission);
    job.reportFile = join(this.dir, 'reports', submission);
    writeAtomic(job.taskFile, Buffer.from(JSON.stringify(task)));
    const command = this.options.command(job.taskFile, job.reportFile).map(shellQuote).join(' ');
    const args = [
      '--parsable',
      `--job-name=pipeline-${job.stage}`,
      `--output=${join(this.dir, 'out', '%j.out')}`,
      '--chdir',
      process.cwd(),
      ...sbatchOptions(this.options.config, job.stage),
      '--wrap',
      `exec ${command}`,
    ];
    try {
      job.id = execFileSync('sbatch', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .trim()
        .split(';')[0];
    } catch (error) {
      // A bad partition or account, a full queue: this node fails with sbatch's words, the others go on. Reported
      // on the next turn, not from inside the scheduler's dispatch.
      const message = `sbatch failed: ${String((error as { stderr?: string }).stderr ?? (error as Error).message)
        .trim()
        .split('\n')
        .join('; ')}`;
      setImmediate(() => job.report({ type: 'result', result: { type: 'crashed', message } }));
      return;
    }
    job.state = undefined;
    writeAtomic(
      join(this.dir, 'jobs', `${task.key}.json`),
      Buffer.from(JSON.stringify({ id: job.id, report: job.reportFile, task: job.taskFile })),
    );
    this.jobs.add(job);
    job.report({
      type: 'queued',
      note: `submitted as slurm job ${job.id}${job.attempt > 1 ? ` (attempt ${job.attempt} of ${this.options.retries + 1})` : ''}`,
    });
  }

  private poll(): void {
    if (this.jobs.size === 0) return;
    let states: ReturnType<typeof jobStates>;
    try {
      states = jobStates([...this.jobs].map((j) => j.id));
    } catch (error) {
      // The controller may be restarting: say so once, keep asking.
      const message = `warning: squeue failed, retrying: ${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`;
      if (message !== this.lastWarning) console.error(message);
      this.lastWarning = message;
      return;
    }
    this.lastWarning = undefined;
    for (const job of [...this.jobs]) {
      const now = states.get(job.id);
      const state = now?.state ?? 'GONE';
      if (ACTIVE.has(state)) {
        if (state !== job.state) {
          if (state === 'RUNNING') job.report({ type: 'running', note: `slurm job ${job.id}` });
          else
            job.report({
              type: 'queued',
              note: `${state.toLowerCase()} in Slurm (job ${job.id}${now?.reason && now.reason !== 'None' ? `, ${now.reason}` : ''})`,
            });
        }
        job.state = state;
        const latest = readJson<TaskReport>(job.reportFile);
        if (latest?.type === 'progress') {
          const text = JSON.stringify(latest);
          if (text !== job.progress) job.report(latest);
          job.progress = text;
        }
      } else this.ended(job, state);
    }
  }

  private ended(job: Job, state: string): void {
    this.jobs.delete(job);
    const latest = readJson<TaskReport>(job.reportFile);
    const result = latest?.type === 'result' ? latest.result : undefined;
    if (result && result.type !== 'interrupted') this.done(job, result);
    else if (this.interrupted) this.done(job, { type: 'interrupted' });
    // Slurm ended it before it could report (or it stopped on Slurm's SIGTERM): run it again, from its checkpoint.
    else if ((RETRYABLE.has(state) || result?.type === 'interrupted') && job.attempt <= this.options.retries) {
      // The retry gets files of its own: this attempt's are done with.
      for (const file of [job.taskFile, job.reportFile]) rmSync(file, { force: true });
      this.submit({ ...job, attempt: job.attempt + 1, progress: undefined });
    } else {
      const output = join(this.dir, 'out', `${job.id}.out`);
      const attempts = job.attempt > 1 ? `, after ${job.attempt} attempts` : '';
      this.done(job, {
        type: 'crashed',
        message: `slurm job ${job.id} ended ${state} before it finished${attempts} (job output: ${output})`,
      });
    }
  }

  private done(job: Job, result: TaskResult | Crashed): void {
    const files = [job.taskFile, job.reportFile];
    // The key's job record, unless another coordinator's submission has replaced it since.
    const jobRecord = join(this.dir, 'jobs', `${job.task.key}.json`);
    if (readJson<{ id: string }>(jobRecord)?.id === job.id) files.push(jobRecord);
    // A job that committed leaves its log in the store; the output of any other is kept to read.
    if (result.type === 'done') files.push(join(this.dir, 'out', `${job.id}.out`));
    for (const file of files) rmSync(file, { force: true });
    job.report({ type: 'result', result });
  }

  /** Ctrl-C: cancel every job submitted (and adopted); each reports `interrupted` once Slurm says it ended. */
  interrupt(): void {
    this.interrupted = true;
    this.options.local.interrupt();
    const ids = [...this.jobs].map((j) => j.id);
    if (ids.length === 0) return;
    try {
      execFileSync('scancel', ids, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      console.error(
        `error: scancel ${ids.join(' ')} failed, cancel these jobs by hand: ${String((error as { stderr?: string }).stderr ?? '').trim()}`,
      );
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.options.local.close();
  }
}

function slurmDir(store: Store): string {
  return join(store.root, 'slurm');
}

/** For `status`: 'slurm job 12 PENDING' for each of these keys that a Slurm job was submitted for. */
export function slurmNotes(store: Store, keys: string[]): Map<string, string> {
  const jobs = new Map<string, string>();
  for (const key of keys) {
    const submitted = readJson<{ id: string }>(join(slurmDir(store), 'jobs', `${key}.json`));
    if (submitted) jobs.set(key, submitted.id);
  }
  const states = jobStates([...jobs.values()]);
  return new Map([...jobs].map(([key, id]) => [key, `slurm job ${id} ${states.get(id)?.state ?? 'ENDED'}`]));
}

/** squeue's state and reason per job id; a job squeue no longer knows is absent. */
function jobStates(ids: string[]): Map<string, { state: string; reason: string }> {
  const out = new Map<string, { state: string; reason: string }>();
  if (ids.length === 0) return out;
  let text: string;
  try {
    text = execFileSync('squeue', ['-h', '-t', 'all', '-o', '%i|%T|%r', '-j', ids.join(',')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // Every id unknown (finished long ago): squeue exits 1 with "Invalid job id specified".
    if (/Invalid job id/.test(String((error as { stderr?: string }).stderr))) return out;
    throw error;
  }
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (id && state) out.set(id, { state: state.replace(/\+$/, ''), reason: reason ?? '' });
  }
  return out;
}

/** A file written whole by writeAtomic, or undefined when there is none (or none readable: a crash before it). */
function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
