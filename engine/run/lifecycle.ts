/**
 * One task's life, declared once. The same words and payloads travel unchanged from the process that runs the task
 * (a pool worker's IPC messages, a Slurm job's report file) through its transport to the scheduler's events:
 *
 *   queued → running → progress … → result
 *
 * `queued` and `running` are the transport's to say (submitted to Slurm, handed to a worker); `progress` and
 * `result` come from the task itself (engine/run/task.ts), or `result: crashed` from the transport when the
 * process died before it reported. A `busy` result, or a live lock seen before starting, makes the scheduler
 * report `waiting` and try again.
 */
import type { LockOwner } from '../store/lock.ts';
import type { RunRecord } from '../store/record.ts';

/** How a task ended, as the process that ran it saw it. */
export type TaskResult =
  | { type: 'done'; record: RunRecord; ran: boolean; warnings?: string[] }
  /** io: the file system failed (a full disk, a read-only store), not the stage. */
  | { type: 'failed'; message: string; log: string; corrupt?: string[]; io?: boolean }
  /** Another process holds the key's lock. */
  | { type: 'busy'; owner: LockOwner }
  | { type: 'interrupted' };

/** The transport's ending for a task whose process died (or never started) before it reported a result. */
export type Crashed = { type: 'crashed'; message: string };

/** `note` says where: the Slurm job and its state, or nothing for a local worker. */
export type Queued = { type: 'queued'; note: string };
export type Running = { type: 'running'; note?: string };
export type Progress = { type: 'progress'; done: number; total: number; note?: string };
export type Waiting = { type: 'waiting'; owner: LockOwner };

/** What the process running a task reports, as it is: a worker's IPC message (with its key), a Slurm report file. */
export type TaskReport = Progress | { type: 'result'; result: TaskResult };

/** What a transport tells the scheduler about one task: the task's own reports, and its own queued/running/crashed. */
export type TaskEvent = Queued | Running | Progress | { type: 'result'; result: TaskResult | Crashed };
