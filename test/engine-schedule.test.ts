/**
 * The scheduling decision (engine/run/schedule.ts) on hand-made states: no store, no processes, no plan built.
 */
import test from 'ava';
import type { Plan, PlanNode } from '../engine/plan/graph.ts';
import type { LockOwner, LockState } from '../engine/store/lock.ts';
import type { RunRecord } from '../engine/store/record.ts';
import {
  afterResult,
  beforeRun,
  blockedBy,
  isReady,
  MAX_CORRUPT_RETRIES,
  type PlanState,
} from '../engine/run/schedule.ts';

const record = { key: 'k1', outputs: { out: 'h1' } } as unknown as RunRecord;
const owner: LockOwner = { pid: 42, host: 'elsewhere', started: '2026-01-01T00:00:00.000Z', token: 't' };
const lock = (live: boolean): LockState => ({ owner, live, ino: 1, mtimeMs: 2, signature: 'sig' });
const ending = { interrupted: false, corruptRetries: 0, log: 'logs/k1.log' };

/** a → b → c, a → d: only what the decisions read. */
function plan(): Plan {
  const node = (sid: string, deps: string[], children: string[]) =>
    ({ sid, ids: [`${sid}/id`], deps, children }) as unknown as PlanNode;
  const nodes = [node('a', [], ['b', 'd']), node('b', ['a'], ['c']), node('c', ['b'], []), node('d', ['a'], [])];
  return { nodes, bySid: new Map(nodes.map((n) => [n.sid, n])), byId: new Map() };
}

function state(decided: string[], committed: string[], active: string[] = []): PlanState {
  return {
    decided: (sid) => decided.includes(sid),
    committed: (sid) => committed.includes(sid),
    active: (sid) => active.includes(sid),
  };
}

test('a node is ready when it is undecided, not yet queued, and every input is committed', (t) => {
  const { bySid } = plan();
  t.true(isReady(bySid.get('a')!, state([], [])), 'no inputs');
  t.true(isReady(bySid.get('b')!, state(['a'], ['a'])));
  t.false(isReady(bySid.get('b')!, state([], [])), 'input not committed');
  t.false(isReady(bySid.get('b')!, state(['a'], [])), 'input decided but not committed (failed)');
  t.false(isReady(bySid.get('b')!, state(['a', 'b'], ['a', 'b'])), 'already decided');
  t.false(isReady(bySid.get('b')!, state(['a'], ['a'], ['b'])), 'already queued or running');
});

test('a failed node blocks every undecided node below it, and nothing beside it', (t) => {
  const p = plan();
  t.deepEqual(
    blockedBy(p, p.bySid.get('a')!, state(['a'], []))
      .map((n) => n.sid)
      .sort(),
    ['b', 'c', 'd'],
  );
  t.deepEqual(
    blockedBy(p, p.bySid.get('a')!, state(['a', 'd'], ['d']))
      .map((n) => n.sid)
      .sort(),
    ['b', 'c'],
    'd was decided already',
  );
  t.deepEqual(
    blockedBy(p, p.bySid.get('b')!, state(['a', 'b'], ['a'])).map((n) => n.sid),
    ['c'],
  );
});

test('before its lock is looked at, a node is cached or queued; --force queues a cached one', (t) => {
  t.deepEqual(beforeRun({ forced: false, committed: record }), {
    step: 'finish',
    outcome: { status: 'cached', record },
  });
  t.deepEqual(
    beforeRun({ forced: false, committed: undefined }),
    { step: 'queue' },
    'missing, or found corrupt by --verify',
  );
  t.deepEqual(beforeRun({ forced: true, committed: record }), { step: 'queue' });
});

test('just before it starts: cached if another process committed it, wait on a live lock, take over a stale one', (t) => {
  t.deepEqual(beforeRun({ forced: false, committed: record, lock: lock(true) }), {
    step: 'finish',
    outcome: { status: 'cached', record },
  });
  t.deepEqual(beforeRun({ forced: false, committed: undefined, lock: 'free' }), { step: 'run', force: false });
  t.deepEqual(beforeRun({ forced: false, committed: undefined, lock: lock(true) }), { step: 'wait', owner });
  t.deepEqual(beforeRun({ forced: false, committed: undefined, lock: lock(false) }), {
    step: 'run',
    force: false,
    staleLock: 'sig',
  });
  t.deepEqual(beforeRun({ forced: true, committed: record, lock: 'free' }), { step: 'run', force: true });
  t.deepEqual(
    beforeRun({ forced: true, committed: record, lock: lock(true) }),
    { step: 'wait', owner },
    'forced still waits for a live lock',
  );
});

test("a result becomes the node's outcome: ran, cached (a committed run found under the lock), failed, crashed", (t) => {
  t.deepEqual(afterResult({ type: 'done', record, ran: true }, ending), {
    step: 'finish',
    outcome: { status: 'ran', record },
  });
  t.deepEqual(afterResult({ type: 'done', record, ran: false }, ending), {
    step: 'finish',
    outcome: { status: 'cached', record },
  });
  t.deepEqual(afterResult({ type: 'failed', message: 'boom', log: 'l' }, ending), {
    step: 'finish',
    outcome: { status: 'failed', crashed: false, log: 'l', error: 'boom', io: undefined },
  });
  t.deepEqual(afterResult({ type: 'failed', message: 'ENOSPC', log: 'l', io: true }, ending), {
    step: 'finish',
    outcome: { status: 'failed', crashed: false, log: 'l', error: 'ENOSPC', io: true },
  });
  t.deepEqual(afterResult({ type: 'crashed', message: 'worker died' }, ending), {
    step: 'finish',
    outcome: { status: 'failed', crashed: true, log: 'logs/k1.log', error: 'worker died' },
  });
});

test('busy waits, even after an interrupt; any other ending after an interrupt is interrupted', (t) => {
  const interrupted = { ...ending, interrupted: true };
  t.deepEqual(afterResult({ type: 'busy', owner }, ending), { step: 'wait', owner });
  t.deepEqual(afterResult({ type: 'busy', owner }, interrupted), { step: 'wait', owner });
  t.deepEqual(afterResult({ type: 'interrupted' }, ending), { step: 'finish', outcome: { status: 'interrupted' } });
  t.deepEqual(afterResult({ type: 'failed', message: 'stopped', log: 'l' }, interrupted), {
    step: 'finish',
    outcome: { status: 'interrupted' },
  });
  t.deepEqual(afterResult({ type: 'crashed', message: 'killed' }, interrupted), {
    step: 'finish',
    outcome: { status: 'interrupted' },
  });
  t.deepEqual(
    afterResult({ type: 'done', record, ran: true }, interrupted),
    { step: 'finish', outcome: { status: 'ran', record } },
    'a commit stands',
  );
});

test('corrupt inputs are recovered from a bounded number of times, then the node fails naming them', (t) => {
  const corrupt = { type: 'failed', message: 'corrupt', log: 'l', corrupt: ['h1', 'h2'] } as const;
  for (let retries = 0; retries < MAX_CORRUPT_RETRIES; retries++) {
    t.deepEqual(afterResult({ ...corrupt, corrupt: [...corrupt.corrupt] }, { ...ending, corruptRetries: retries }), {
      step: 'recover',
      corrupt: ['h1', 'h2'],
    });
  }
  const last = afterResult(
    { ...corrupt, corrupt: [...corrupt.corrupt] },
    { ...ending, corruptRetries: MAX_CORRUPT_RETRIES },
  );
  t.deepEqual(last, {
    step: 'finish',
    outcome: {
      status: 'failed',
      crashed: false,
      log: 'l',
      error: `inputs still corrupt after ${MAX_CORRUPT_RETRIES} recomputations: h1, h2`,
    },
  });
});
