import test from 'ava';
import {
  diffMetrics,
  diffParams,
  diffSeedMeans,
  flatten,
  formatMetricDiff,
  formatSeedMeanDiff,
} from '../experiment/compare.ts';
import { parseLockFile, type LockFile } from '../engine/store/lock-file.ts';
import { evalPoints, NO_VALUE, NOT_RUN } from '../experiment/eval-points.ts';
import { formatTable } from '../experiment/text-table.ts';
import { comparableParams } from '../experiment/provenance.ts';
import { makeLock, nodeId, recordedParams } from './fixtures/compare/locks.ts';

const withMetric = (lock: LockFile, id: string, metric: string, value: number): LockFile => {
  const copy = structuredClone(lock);
  copy.nodes[id]!.metrics[metric] = value;
  return copy;
};

test('flatten makes dotted keys and keeps lists whole', (t) => {
  t.deepEqual(flatten({ model: { width: 64, heads: 2 }, sweep: { 'cycle.name': ['a', 'b'] }, seed: 1 }), {
    'model.width': 64,
    'model.heads': 2,
    'sweep.cycle.name': ['a', 'b'],
    seed: 1,
  });
});

test('diffParams lists changed, added and removed keys; all adds the unchanged ones', (t) => {
  const a = comparableParams(recordedParams());
  const b = comparableParams(recordedParams(['cycle.lambda=0.75']));
  delete (b.model as Record<string, unknown>).dropout;
  (b.model as Record<string, unknown>).bias = true;
  t.deepEqual(diffParams(a, b), [
    { key: '--set cycle.lambda', new: '0.75', change: 'added' },
    { key: 'cycle.lambda', old: 0.5, new: 0.75, change: 'changed' },
    { key: 'model.bias', new: true, change: 'added' },
    { key: 'model.dropout', old: 0, change: 'removed' },
    { key: 'sweep.cycle.lambda', old: [0.5], new: [0.75], change: 'changed' },
  ]);
  const all = diffParams(a, b, { all: true });
  t.is(all.length, Object.keys(flatten(a)).length + 2, "a's keys, model.bias and --set cycle.lambda");
  t.deepEqual(
    all.find((r) => r.key === 'model.width'),
    { key: 'model.width', old: 64, new: 64, change: 'same' },
  );
});

test('diffMetrics shows changed values with Δ, hides unchanged ones unless all', (t) => {
  const a = makeLock();
  const id = nodeId({ cycle: 'balanced', seed: 1, generation: 2, extra: {} });
  const b = withMetric(a, id, 'samples.diversity', (a.nodes[id]!.metrics['samples.diversity'] as number) + 0.125);
  const rows = diffMetrics(a, b);
  t.is(rows.length, 1);
  const [row] = rows;
  t.like(row, { node: id, cycle: 'balanced', lambda: undefined, seed: 1, generation: 2, metric: 'samples.diversity' });
  t.is(row!.delta!.toFixed(6), '0.125000');
  const all = diffMetrics(a, b, { all: true });
  t.is(all.length, evalPoints(a).length * 8);
  t.is(all.filter((r) => r.delta !== 0).length, 1);
  t.deepEqual(diffMetrics(a, b, { metrics: ['samples.semantic'] }), []);
});

test('diffMetrics marks a node on one side only as not run, never 0', (t) => {
  const a = makeLock({ cycles: ['incremental'], lambdas: [0.5], generations: 2 });
  const b = makeLock({ cycles: ['incremental'], lambdas: [0.75], generations: 2 });
  const rows = diffMetrics(a, b, { metrics: ['samples.semantic'] });
  t.deepEqual(
    rows.map((r) => [r.lambda, r.generation, typeof r.old, typeof r.new, r.delta]),
    [
      [0.5, 0, 'number', 'string', null],
      [0.5, 1, 'number', 'string', null],
      [0.75, 0, 'string', 'number', null],
      [0.75, 1, 'string', 'number', null],
    ],
  );
  t.true(rows.slice(0, 2).every((r) => r.new === NOT_RUN));
  t.true(rows.slice(2).every((r) => r.old === NOT_RUN));
  // A node that ran but lacks a metric says so, distinctly from not run.
  const lacking = structuredClone(a);
  delete lacking.nodes[Object.keys(lacking.nodes).find((k) => k.startsWith('eval'))!]!.metrics['samples.semantic'];
  t.deepEqual(
    diffMetrics(a, lacking, { metrics: ['samples.semantic'] }).map((r) => r.new),
    [NO_VALUE],
  );
});

test('diffMetrics sorts by cycle in paper order, then λ, seed and generation numerically, then metric', (t) => {
  const a = makeLock({
    cycles: ['expanding', 'incremental', 'balanced', 'full_synthetic'],
    lambdas: [0.9, 0.25],
    seeds: [2, 1],
    generations: 11,
  });
  const rows = diffMetrics(a, makeLock({ cycles: [] }), { metrics: ['samples.unique', 'samples.semantic'] });
  const order = rows.map((r) => [r.cycle, r.lambda, r.seed, r.generation]);
  const cycles = [...new Set(rows.map((r) => r.cycle))];
  t.deepEqual(cycles, ['full_synthetic', 'balanced', 'incremental', 'expanding']);
  t.deepEqual(order.slice(0, 4), [
    ['full_synthetic', undefined, 1, 0],
    ['full_synthetic', undefined, 1, 0],
    ['full_synthetic', undefined, 1, 1],
    ['full_synthetic', undefined, 1, 1],
  ]);
  t.deepEqual(
    rows.slice(0, 2).map((r) => r.metric),
    ['samples.semantic', 'samples.unique'],
  );
  t.deepEqual(
    rows
      .filter((r) => r.cycle === 'incremental' && r.seed === 1 && r.metric === 'samples.unique')
      .map((r) => [r.lambda, r.generation])
      .slice(9, 13),
    [
      [0.25, 9],
      [0.25, 10],
      [0.9, 0],
      [0.9, 1],
    ],
  );
});

test('text output: aligned columns, not run spelled out, signed Δ', (t) => {
  t.is(
    formatTable(
      ['name', 'n'],
      [
        ['a', '1'],
        ['long name', '-22'],
      ],
    ),
    'name         n\n---------  ---\na            1\nlong name  -22',
  );
  const a = makeLock({ cycles: ['incremental'], generations: 1 });
  const b = structuredClone(a);
  const id = Object.keys(a.nodes).find((k) => k.startsWith('eval'))!;
  b.nodes[id]!.metrics['samples.semantic'] = 0.25;
  b.nodes['eval/cycle=incremental/lambda=0.9/seed=1/gen=0'] = {
    ...a.nodes[id]!,
    tags: { ...a.nodes[id]!.tags, lambda: 0.9 },
  };
  const text = formatMetricDiff(diffMetrics(a, b, { metrics: ['samples.semantic'] }), 'HEAD~1', 'HEAD');
  const lines = text.split('\n');
  t.regex(lines[0]!, /^cycle\s+λ\s+seed\s+gen\s+metric\s+HEAD~1\s+HEAD\s+Δ$/);
  t.regex(lines[2]!, /^incremental\s+0\.5\s+1\s+0\s+semantic\s+0\.\d{4}\s+0\.2500\s+-0\.\d{4}$/);
  t.regex(lines[3]!, /^incremental\s+0\.9\s+1\s+0\s+semantic\s+not run\s+0\.\d{4}$/);
  t.regex(text, /2 changed value\(s\) in 2 eval node\(s\)$/);
});

test('parseLockFile names the file when it is not what it expects', (t) => {
  t.throws(() => parseLockFile('{', 'HEAD:pipeline.lock'), { message: /HEAD:pipeline.lock is not JSON/ });
  t.throws(() => parseLockFile('{"version":3,"nodes":{}}', 'x'), {
    message: /^x is version 3; this tool reads version 1 and 2 locks: rerun `npx tsx pipeline.ts repro`/,
  });
  t.throws(() => parseLockFile('{"nodes":{}}', 'x'), {
    message: /^x has no version field; this tool reads version 1 and 2 locks/,
  });
  t.throws(() => parseLockFile('{"version":2,"params":{"source":"p.yaml"},"nodes":{}}', 'x'), {
    message: /^x is not a pipeline\.lock \(version 2\): params\.overrides: /,
  });
});

test('seed means: a shift beyond the seeds spread is outside it, a small one within, one seed has no verdict', (t) => {
  const a = makeLock({ cycles: ['balanced', 'incremental'], seeds: [1, 2, 3], generations: 2 });
  const b = structuredClone(a);
  for (const node of Object.values(b.nodes)) {
    if (node.stage !== 'eval' || node.tags.generation !== 1) continue;
    // The fixture's seeds spread semantic by 0.01 a seed: +0.2 is far outside, +0.001 well inside.
    (node.metrics as Record<string, number>)['samples.semantic'] += node.tags.cycle === 'balanced' ? 0.2 : 0.001;
  }
  const rows = diffSeedMeans(a, b, { metrics: ['samples.semantic'] });
  t.deepEqual(
    rows.map((r) => [r.cycle, r.generation, r.spread]),
    [
      ['balanced', 1, 'outside seed spread'],
      ['incremental', 1, 'within seed spread'],
    ],
  );
  t.is(rows[0]!.delta.toFixed(6), '0.200000');
  t.true(rows[0]!.ci95!.low > 0 && rows[1]!.ci95!.low < 0 && rows[1]!.ci95!.high > 0);
  const text = formatSeedMeanDiff(rows, 'A', 'B');
  t.regex(
    text,
    /^balanced\s+1\s+semantic\s+0\.\d{4} \(3\)\s+0\.\d{4} \(3\)\s+\+0\.2000\s+\[\+0\.\d{4}, \+0\.\d{4}\]\s+outside seed spread$/m,
  );
  t.regex(text, /1 of 2 change\(s\) outside the seed spread$/);
  const single = makeLock({ cycles: ['balanced'], generations: 2 });
  t.deepEqual(diffSeedMeans(single, single), []);
  const singleRows = diffSeedMeans(single, single, { all: true });
  t.true(singleRows.length > 0);
  t.true(singleRows.every((r) => r.spread === 'one seed'));
});
