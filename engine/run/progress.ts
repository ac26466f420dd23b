/**
 * What `repro` shows while it runs. On a terminal: a live block (done/total, cached, each running node with its
 * stage's progress and an ETA) redrawn a few times a second, finished nodes scrolling above it. Otherwise (CI,
 * a pipe, a Slurm job's output): a line when a node is queued, starts and ends, and for a long node a line with
 * its step, loss and ETA at most every `progressEveryMs`, each line led by `[k/N]` (nodes finished of all) and the
 * run's time left where recorded runs tell it (engine/run/eta.ts); nothing is redrawn.
 */
import type { ExecEvent, ExecutionHooks, Outcome } from './executor.ts';
import type { Plan, PlanNode } from '../plan/graph.ts';
import { remainingSeconds, type Expected } from './eta.ts';

interface Running {
  node: PlanNode;
  startedAt: number;
  done?: number;
  total?: number;
  note?: string;
  firstProgress?: { at: number; done: number };
  /** Pending in Slurm, waiting for another process's lock, or the job running it. */
  where?: string;
  /** Without a TTY: when this node's last progress line was printed. */
  printedAt: number;
}

const REDRAW_MS = 200;
/** Without a terminal, a running node's progress is printed as a line at most this often (a log stays readable). */
const PRINT_PROGRESS_EVERY_MS = 30_000;

/** What the display needs to tell the run's time left: the plan, each node's expected seconds, how many workers. */
export interface EtaSource {
  plan: Plan;
  expected: Expected;
  workers: number;
}

export class Display implements ExecutionHooks {
  private readonly started = Date.now();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly running = new Map<string, Running>();
  /** Stages whose first run has given their unestimated nodes a time (learn). */
  private readonly learnedStages = new Set<string>();
  private readonly tty: boolean;
  private drawn = 0;
  private timer?: NodeJS.Timeout;
  /** Cached nodes decided before any node ran: printed only if something runs, so a no-op stays one line. */
  private pending: string[] = [];
  private anyRan = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly total: number,
    private readonly progressEveryMs = PRINT_PROGRESS_EVERY_MS,
    private readonly eta?: EtaSource,
  ) {
    this.tty = Boolean(out.isTTY);
    if (this.tty) this.timer = setInterval(() => this.redraw(), REDRAW_MS);
  }

  event(event: ExecEvent): void {
    const sid = event.node.sid;
    const now = Date.now();
    if (event.type === 'running' || event.type === 'queued') {
      this.anyRan = true;
      this.flushPending();
      const where = event.note;
      const run = this.running.get(sid);
      // A resubmitted job starts again: its elapsed time and ETA start over, its line says where it runs now.
      this.running.set(sid, { node: event.node, startedAt: now, where, printedAt: now });
      if (!this.tty && (run?.where !== where || event.type === 'running')) {
        this.print(
          `${event.type === 'running' ? 'start ' : 'queued'}  ${event.node.ids[0]}${where ? `  ${where}` : ''}`,
        );
      }
    } else if (event.type === 'waiting') {
      const where = `waiting for pid ${event.owner.pid} on ${event.owner.host}${event.owner.job ? ` (slurm job ${event.owner.job})` : ''}`;
      if (this.running.get(sid)?.where === where) return;
      this.running.set(sid, { node: event.node, startedAt: now, where, printedAt: now });
      if (!this.tty) this.print(`waiting ${event.node.ids[0]}  ${where}`);
    } else if (event.type === 'progress') {
      const run = this.running.get(sid);
      if (!run) return;
      run.firstProgress ??= { at: now, done: event.done };
      Object.assign(run, { done: event.done, total: event.total, note: event.note });
      if (!this.tty && now - run.printedAt >= this.progressEveryMs && event.done < event.total) {
        run.printedAt = now;
        this.print(
          `running ${run.node.ids[0]}  ${progressText(run, now)}  ${fmt((now - run.startedAt) / 1000)} elapsed`,
        );
      }
    } else {
      const run = this.running.get(sid);
      this.running.delete(sid);
      this.outcomes.set(sid, event.outcome);
      const seconds = run ? (Date.now() - run.startedAt) / 1000 : 0;
      if (event.outcome.status === 'ran') this.learn(event.node, seconds);
      const line = finishedLine(event.node, event.outcome, seconds);
      if (event.outcome.status === 'cached' && !this.anyRan) this.pending.push(line);
      else if (event.outcome.status !== 'blocked' || !this.tty) this.print(line);
    }
  }

  /** Stops redrawing; returns the summary (for the caller to print once pipeline.lock is written) and the counts. */
  close(interrupted: boolean): { summary: string; failed: number } {
    clearInterval(this.timer);
    this.clear();
    const count = (status: Outcome['status']) => [...this.outcomes.values()].filter((o) => o.status === status).length;
    const cached = count('cached');
    const failed = count('failed');
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const nothingToDo = !this.anyRan && cached === this.total;
    let summary: string;
    if (nothingToDo) summary = `nothing to do: all ${this.total} nodes cached (${seconds}s)`;
    else {
      this.flushPending();
      const blocked = count('blocked');
      const notRun = this.total - this.outcomes.size + count('interrupted');
      summary =
        `${this.total} nodes: ${cached} cached, ${count('ran')} ran, ${failed} failed` +
        (blocked ? `, ${blocked} blocked by failures` : '') +
        (notRun ? `, ${notRun} not run` : '') +
        ` in ${seconds}s${interrupted ? ' (interrupted)' : ''}`;
    }
    return { summary, failed };
  }

  private flushPending(): void {
    for (const line of this.pending) this.print(line);
    this.pending = [];
  }

  private print(line: string): void {
    this.clear();
    this.out.write(this.tty ? line + '\n' : `[${this.finished()}/${this.total}${this.left(' ~', ' left')}] ${line}\n`);
    this.redraw();
  }

  /**
   * A node that ran tells how long the nodes of its stage that no record resembled will take: a run on an empty
   * store gets an ETA once each stage has run once.
   */
  private learn(node: PlanNode, seconds: number): void {
    // Once per stage: after its first run every node of the stage has an expectation.
    if (!this.eta || this.learnedStages.has(node.stage.name)) return;
    this.learnedStages.add(node.stage.name);
    const { plan, expected } = this.eta;
    for (const other of plan.nodes) {
      if (other.stage.name === node.stage.name && !expected.has(other.sid)) expected.set(other.sid, seconds);
    }
  }

  private finished(): number {
    return [...this.outcomes.values()].filter((o) => o.status !== 'interrupted').length;
  }

  /** The run's time left between `before` and `after`; '' when no node is left or no recorded run resembles one. */
  private left(before: string, after: string): string {
    if (!this.eta) return '';
    const { plan, expected, workers } = this.eta;
    const now = Date.now();
    const left = new Set(plan.nodes.filter((n) => !this.outcomes.has(n.sid)).map((n) => n.sid));
    const { seconds, unknown } = remainingSeconds(plan, expected, left, workers, (sid) => {
      const run = this.running.get(sid);
      return run ? (now - run.startedAt) / 1000 : 0;
    });
    return unknown === left.size ? '' : `${before}${fmt(seconds)}${unknown ? '+' : ''}${after}`;
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const now = Date.now();
    const width = (this.out.columns || 100) - 1; // a pty may report 0 columns
    const cached = [...this.outcomes.values()].filter((o) => o.status === 'cached').length;
    const lines = [
      `[${this.finished()}/${this.total}] ${cached} cached · ${this.running.size} running · ${fmt((now - this.started) / 1000)} elapsed${this.left(' · about ', ' left')}`,
    ];
    for (const run of this.running.values()) {
      let line = `  ▸ ${run.node.ids[0]}`;
      if (run.where) line += `  ${run.where}`;
      line += `  ${run.total ? progressText(run, now) : fmt((now - run.startedAt) / 1000)}`;
      lines.push(line.slice(0, width));
    }
    this.out.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}

/** `120/500 loss 1.234  ETA 1m05s`: the ETA from the rate since the first progress report. */
function progressText(run: Running, now: number): string {
  let text = `${run.done}/${run.total}${run.note ? ` ${run.note}` : ''}`;
  const first = run.firstProgress!;
  const rate = (run.done! - first.done) / ((now - first.at) / 1000);
  if (rate > 0) text += `  ETA ${fmt((run.total! - run.done!) / rate)}`;
  return text;
}

function finishedLine(node: PlanNode, outcome: Outcome, seconds: number): string {
  const shared = node.ids.length > 1 ? ` (+${node.ids.length - 1} shared)` : '';
  switch (outcome.status) {
    case 'cached':
      return `cached  ${node.ids[0]}${shared}`;
    case 'ran':
      return `ran     ${node.ids[0]}${shared}  ${outcome.record.seconds.toFixed(1)}s`;
    case 'failed':
      return `FAILED  ${node.ids[0]}: ${outcome.error}${outcome.log ? ` (log: ${outcome.log})` : ''}`; // a refused task has no log
    case 'blocked':
      return `blocked ${node.ids[0]}: upstream ${outcome.by} failed`;
    case 'interrupted':
      return `stopped ${node.ids[0]} after ${seconds.toFixed(1)}s`;
  }
}

export function fmt(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
