/**
 * The time a run has left (engine/run/eta.ts): each node expected to take what recorded runs of similar nodes took,
 * and the nodes left taking the longer of their longest chain and their work over the workers.
 */
import test from 'ava';
import { expectedSeconds, formatRemaining, remainingSeconds } from '../engine/run/eta.ts';
import { Display } from '../engine/run/progress.ts';
import type { Plan, PlanNode } from '../engine/plan/graph.ts';
import type { RunRecord } from '../engine/store/record.ts';

// a → b → c, and d beside them: the smallest plan with a chain and a node off it.
const node = (sid: string, stage: string, params: object, deps: string[] = []) =>
  ({ sid, ids: [sid], stage: { name: stage }, params, deps }) as unknown as PlanNode;
const nodes = [
  node('a', 'train', { steps: 1 }),
  node('b', 'train', { steps: 1 }, ['a']),
  node('c', 'eval', { g: 1 }, ['b']),
  node('d', 'gen', {}),
];
const plan = { nodes } as unknown as Plan;
const record = (stage: string, params: object, seconds: number) =>
  ({ stage, manifest: { params }, seconds }) as unknown as RunRecord;

test('a node takes what runs of its stage and params took, else its stage; none recorded, none expected', (t) => {
  const expected = expectedSeconds(plan, [
    record('train', { steps: 1 }, 10),
    record('train', { steps: 1 }, 30),
    record('train', { steps: 9 }, 100),
    record('eval', { g: 0 }, 2),
  ]);
  t.is(expected.get('a'), 20, 'the median of the same stage and params');
  t.is(expected.get('c'), 2, 'another generation of eval: the stage');
  t.false(expected.has('d'));
});

test('the longer of the longest chain and the work over the workers; running nodes count what they have left', (t) => {
  const expected = new Map([
    ['a', 20],
    ['b', 20],
    ['c', 2],
    ['d', 50],
  ]);
  const all = new Set(['a', 'b', 'c', 'd']);
  t.deepEqual(
    remainingSeconds(plan, expected, all, 1),
    { seconds: 92, nodes: 4, unknown: 0 },
    'one worker: all the work',
  );
  t.deepEqual(
    remainingSeconds(plan, expected, all, 2),
    { seconds: 50, nodes: 4, unknown: 0 },
    'two: d alone is the longest',
  );
  t.deepEqual(remainingSeconds(plan, expected, all, 8), { seconds: 50, nodes: 4, unknown: 0 });
  t.deepEqual(
    remainingSeconds(plan, expected, new Set(['b', 'c']), 2, (sid) => (sid === 'b' ? 15 : 0)),
    { seconds: 7, nodes: 2, unknown: 0 },
    'b has 5 s left, then c',
  );
  t.deepEqual(remainingSeconds(plan, new Map([['a', 20]]), all, 1), { seconds: 20, nodes: 4, unknown: 3 });
});

test('the estimate as repro --dry prints it: the nodes it leaves out, and none at all where no record resembles any', (t) => {
  const fmt = (s: number) => `${s}s`;
  t.is(
    formatRemaining({ seconds: 20, nodes: 4, unknown: 3 }, 2, fmt),
    'about 20s + 3 nodes never run before on 2 workers (from the recorded durations of similar nodes)',
  );
  t.is(
    formatRemaining({ seconds: 9, nodes: 1, unknown: 0 }, 1, fmt),
    'about 9s on 1 worker (from the recorded durations of similar nodes)',
  );
  t.is(
    formatRemaining({ seconds: 0, nodes: 84, unknown: 84 }, 2, fmt),
    'no estimate yet: the store records no run like any of them',
  );
});

test('on an empty store, a node that ran tells the time of the nodes of its stage that no record resembled', (t) => {
  const lines: string[] = [];
  const out = { write: (text: string) => lines.push(text) } as unknown as NodeJS.WritableStream;
  const display = new Display(out, nodes.length, 60_000, { plan, expected: new Map(), workers: 1 });
  const at = (node: PlanNode) => ({ node, key: node.sid });
  display.event({ type: 'running', ...at(nodes[0]!) });
  t.notRegex(lines.at(-1)!, /left/, 'nothing has run: no time left');
  display.event({ type: 'finish', ...at(nodes[0]!), outcome: { status: 'ran', record: record('train', {}, 1) } });
  display.event({ type: 'running', ...at(nodes[1]!) });
  // b (train) is expected to take what a took; c and d, whose stages have not run, are left out and counted.
  t.regex(lines.at(-1)!, /^\[1\/4 ~\d+s\+ left\] start {3}b\n$/);
  display.close(false);
});
