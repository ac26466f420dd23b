/**
 * `repro`: bring every node of a graph up to date, then write pipeline.lock. Also `repro --dry`.
 * An I/O error of the store (a full disk) stops the run as Ctrl-C would; the lock is still written for every
 * node that committed, and the error is thrown after it.
 */
import { LocalExecutor, type ExecutionHooks, type Outcome } from './executor.ts';
import { globMatcher, type Plan, type PlanNode } from './graph.ts';
import { sortedKeys } from './hash.ts';
import { Display } from './progress.ts';
import { assess, type NodeState } from './status.ts';
import { writeAtomic, type Store } from './store.ts';

export interface ReproOptions {
  store: Store;
  jobs?: number;
  /** Globs over node ids: matching nodes run even when cached. */
  force?: string[];
  verify?: boolean;
  /** Where pipeline.lock goes; default ./pipeline.lock. */
  lockPath?: string;
  signal?: AbortSignal;
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface ReproResult {
  summary: string;
  /** 0 all done, 1 some node failed, 130 interrupted. */
  exitCode: number;
}

function forceMatcher(globs: readonly string[] = []): (node: PlanNode) => boolean {
  const matchers = globs.map(globMatcher);
  return (node) => node.ids.some((id) => matchers.some((m) => m(id)));
}

export async function repro(plan: Plan, options: ReproOptions): Promise<ReproResult> {
  const out = options.out ?? process.stdout;
  // Every node would fail the same way on a full or read-only disk: the first I/O failure stops the run.
  const stop = new AbortController();
  let ioFailure: string | undefined;
  const executor = new LocalExecutor({
    store: options.store, jobs: options.jobs, force: forceMatcher(options.force), verify: options.verify,
    signal: options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal,
  });
  const display = new Display(out, plan.nodes.length);
  const hooks: ExecutionHooks = {
    event(event) {
      display.event(event);
      if (event.type === 'finish' && event.outcome.status === 'failed' && event.outcome.io && ioFailure === undefined) {
        ioFailure = event.outcome.error;
        stop.abort();
      }
    },
  };
  const { outcomes, interrupted } = await executor.run(plan, hooks);
  const { summary, failed } = display.close(interrupted && ioFailure === undefined);
  writeLockFile(options.lockPath ?? 'pipeline.lock', plan, outcomes);
  options.store.removeStaleTempFiles();
  if (ioFailure !== undefined) throw new Error(ioFailure);
  return { summary, exitCode: interrupted ? 130 : failed ? 1 : 0 };
}

/** `repro --dry`: the nodes that would run, each with its reason. */
export function dryRun(plan: Plan, store: Store, force: string[] = []): NodeState[] {
  return assess(plan, store, forceMatcher(force)).filter((s) => s.state !== 'cached');
}

/**
 * pipeline.lock: every committed node under each of its ids, sorted, 2-space JSON with a trailing newline, so
 * that git diffs of it are small and `metrics diff` can read any version. Nodes not computed are absent.
 */
function writeLockFile(path: string, plan: Plan, outcomes: Map<string, Outcome>): void {
  const nodes: Record<string, unknown> = {};
  for (const node of plan.nodes) {
    const outcome = outcomes.get(node.sid);
    if (outcome?.status !== 'cached' && outcome?.status !== 'ran') continue;
    const { key, outputs, metrics } = outcome.record;
    for (const id of node.ids) nodes[id] = { stage: node.stage.name, key, outputs, metrics, tags: node.tags[id] };
  }
  writeAtomic(path, Buffer.from(JSON.stringify(sortedKeys({ version: 1, nodes }), null, 2) + '\n'));
}
