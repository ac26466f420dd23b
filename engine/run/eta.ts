/**
 * How long the rest of a run should take, from the durations the store's run records hold: a node is expected to
 * take what recorded runs of similar nodes took (the same stage and params, such as a later generation's training;
 * else the same stage), and the nodes left take the longer of their longest chain and their work spread over the
 * workers. `repro --dry` prints it; `repro` shows it, updated as nodes finish.
 */
import { hashJson } from '../store/hash.ts';
import type { RunRecord } from '../store/record.ts';
import type { Plan } from '../plan/graph.ts';

/** Expected seconds per node sid; a node with no similar record is absent. */
export type Expected = Map<string, number>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function expectedSeconds(plan: Plan, records: readonly RunRecord[]): Expected {
  const byKey = new Map<string, number[]>();
  const add = (key: string, seconds: number) => byKey.set(key, [...(byKey.get(key) ?? []), seconds]);
  for (const record of records) {
    add(`${record.stage}\n${hashJson(record.manifest.params)}`, record.seconds);
    add(record.stage, record.seconds);
  }
  const expected: Expected = new Map();
  for (const node of plan.nodes) {
    const similar = byKey.get(`${node.stage.name}\n${hashJson(node.params)}`) ?? byKey.get(node.stage.name);
    if (similar) expected.set(node.sid, median(similar));
  }
  return expected;
}

export interface Remaining {
  seconds: number;
  /** Nodes left. */
  nodes: number;
  /** Nodes left that no record resembles: their time is not in `seconds`. */
  unknown: number;
}

/**
 * The time the nodes in `left` still need on `workers` workers: each takes its expected seconds less `elapsed` (for
 * one already running), and the run takes the longer of the longest dependency chain among them and their total
 * spread over the workers.
 */
export function remainingSeconds(
  plan: Plan,
  expected: Expected,
  left: ReadonlySet<string>,
  workers: number,
  elapsed: (sid: string) => number = () => 0,
): Remaining {
  const finish = new Map<string, number>();
  let total = 0;
  let longest = 0;
  let unknown = 0;
  let nodes = 0;
  // plan.nodes is in dependency order, so a node's inputs have their finish times when it is reached.
  for (const node of plan.nodes) {
    if (!left.has(node.sid)) continue;
    nodes++;
    const own = expected.get(node.sid);
    if (own === undefined) unknown++;
    const seconds = Math.max(0, (own ?? 0) - elapsed(node.sid));
    const end = seconds + Math.max(0, ...node.deps.map((dep) => finish.get(dep) ?? 0));
    finish.set(node.sid, end);
    total += seconds;
    longest = Math.max(longest, end);
  }
  return { seconds: Math.max(longest, total / Math.max(1, workers)), nodes, unknown };
}

/**
 * `about 4m10s on 2 workers`, and how many nodes it leaves out; where no node left resembles a recorded run (an empty
 * store) there is no estimate to give, and it says so rather than print 0s.
 */
export function formatRemaining(
  { seconds, nodes, unknown }: Remaining,
  workers: number,
  formatSeconds: (s: number) => string,
): string {
  if (unknown === nodes) return 'no estimate yet: the store records no run like any of them';
  const never = unknown ? ` + ${unknown} node${unknown === 1 ? '' : 's'} never run before` : '';
  return `about ${formatSeconds(seconds)}${never} on ${workers} worker${workers === 1 ? '' : 's'} (from the recorded durations of similar nodes)`;
}
