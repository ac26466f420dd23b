import test from 'ava';
import type { LockFile } from '../engine/store/lock-file.ts';
import { PAPER_HEADER, paperTable, toolGeneration } from '../experiment/paper.ts';
import { makeLock, nodeId } from './fixtures/compare/locks.ts';

/** The cells of the row pairing `configuration` with `series`, by header. */
const rowOf = (rows: string[][], configuration: string, series: string) => {
  const row = rows.find((r) => r[0] === configuration && r[1] === series);
  if (!row)
    throw new Error(`no row ${configuration} / ${series} in ${rows.map((r) => `${r[0]} / ${r[1]}`).join(', ')}`);
  return Object.fromEntries(PAPER_HEADER.map((h, i) => [`${i}:${h}`, row[i]!]));
};
const pairs = (rows: string[][]) => rows.map((r) => [r[0], r[1]]);

const metricsAt = (lock: LockFile, cycle: string, generation: number, lambda?: number) =>
  lock.nodes[nodeId({ cycle, lambda, seed: 1, generation, extra: {} })]!.metrics;

test("the paper's generation g is tool generation t = g − 1", (t) => {
  t.is(toolGeneration(1), 0);
  t.is(toolGeneration(39), 38);
  t.is(toolGeneration(50), 49);
});

test("the table reads the paper's generation 50 at t = 49 and its generation 39 at t = 38", (t) => {
  // M_0 … M_50, one generation more than the paper's 50, so that reading t = 50 would give another figure.
  const lock = makeLock({ cycles: ['full_synthetic'], generations: 51 });
  t.is(metricsAt(lock, 'full_synthetic', 0)['data.diversity'], 0.61);
  // Losses 1 − S_t / D_0 of 90%, 80% and 70% at t = 48, 49 and 50.
  for (const [generation, diversity] of [
    [48, 0.061],
    [49, 0.122],
    [50, 0.183],
  ] as const) {
    metricsAt(lock, 'full_synthetic', generation)['samples.diversity'] = diversity;
  }
  // One expression from t = 38 on, as the paper's full synthetic from its generation 39 on.
  t.not(metricsAt(lock, 'full_synthetic', 37)['samples.unique'], 1);
  for (let g = 38; g <= 50; g++) metricsAt(lock, 'full_synthetic', g)['samples.unique'] = 1;

  const { header, rows } = paperTable(lock);
  t.is(header[5], 'diversity loss at t = 49 (paper generation 50): paper');
  t.is(header[3], 'unique count reaches 1, at t (paper generation = t + 1): paper');
  const full = rowOf(rows, 'full synthetic', 'full_synthetic');
  t.is(full['3:unique count reaches 1, at t (paper generation = t + 1): paper'], 't = 38 (its generation 39) [AI]');
  t.is(full['4:this run'], 't = 38');
  t.is(full['6:this run'], '80%');
  t.is(full['7:semantic: paper'], '100% True by t = 5 (its generation 6) [one AI review]');
  t.regex(full['8:this run (t = 0 → last)']!, /^0\.\d{3} → 0\.\d{3} \(t = 50\)$/);

  // M_0 … M_49 (presets/paper.yaml, presets/long.yaml) hold the paper's generation 50; M_0 … M_48 do not.
  const fifty = makeLock({ cycles: ['full_synthetic'], generations: 50 });
  metricsAt(fifty, 'full_synthetic', 49)['samples.diversity'] = 0.122;
  t.is(rowOf(paperTable(fifty).rows, 'full synthetic', 'full_synthetic')['6:this run'], '80%');
  const short = makeLock({ cycles: ['full_synthetic'], generations: 49 });
  metricsAt(short, 'full_synthetic', 48)['samples.diversity'] = 0.061;
  const shortRow = rowOf(paperTable(short).rows, 'full synthetic', 'full_synthetic');
  t.is(shortRow['6:this run'], 'not in this run (no t = 49; at t = 48: 90%)');
  t.regex(shortRow['4:this run']!, /^not reached \(\d+ at t = 48\)$/);
});

test('a λ the paper does not state is shown against every λ the run has; 0% fresh data is accumulate', (t) => {
  const lock = makeLock({ cycles: ['incremental', 'expanding', 'accumulate'], lambdas: [0.25, 0.75], generations: 3 });
  const { rows } = paperTable(lock);
  t.deepEqual(pairs(rows), [
    ['full synthetic', 'not in this run'],
    ['balanced', 'not in this run'],
    ['incremental, λ not stated', 'incremental λ=0.25'],
    ['incremental, λ not stated', 'incremental λ=0.75'],
    ['expanding, fresh share not stated', 'expanding λ=0.25'],
    ['expanding, fresh share not stated', 'expanding λ=0.75'],
    ['expanding, 25% fresh (λ = 0.75)', 'expanding λ=0.75'],
    ['expanding, 0% fresh (accumulate, or expanding λ = 1)', 'accumulate'],
  ]);
  for (const lambda of [0.25, 0.75]) {
    const row = rowOf(rows, 'incremental, λ not stated', `incremental λ=${lambda}`);
    t.is(row['5:diversity loss at t = 49 (paper generation 50): paper'], '≈68% [AI]');
    t.is(row['2:seeds'], '1');
  }
  t.is(
    rowOf(rows, 'expanding, fresh share not stated', 'expanding λ=0.75')[
      '5:diversity loss at t = 49 (paper generation 50): paper'
    ],
    '≈22% [AI]',
  );
  t.is(
    rowOf(rows, 'expanding, 25% fresh (λ = 0.75)', 'expanding λ=0.75')[
      '5:diversity loss at t = 49 (paper generation 50): paper'
    ],
    '≈11% [AI]',
  );
  const accumulate = rowOf(rows, 'expanding, 0% fresh (accumulate, or expanding λ = 1)', 'accumulate');
  t.is(accumulate['5:diversity loss at t = 49 (paper generation 50): paper'], '≈36% [AI]');
  t.is(
    accumulate['6:this run'],
    `not in this run (no t = 49; at t = 2: ${(100 * (1 - (metricsAt(lock, 'accumulate', 2)['samples.diversity'] as number) / 0.61)).toFixed(0)}%)`,
  );

  // Without accumulate, expanding λ = 1 is the 0% fresh configuration; with neither, the row says so.
  const one = makeLock({ cycles: ['expanding'], lambdas: [1], generations: 2 });
  t.true(
    pairs(paperTable(one).rows).some(
      ([c, s]) => c === 'expanding, 0% fresh (accumulate, or expanding λ = 1)' && s === 'expanding λ=1',
    ),
  );
  const none = makeLock({ cycles: ['expanding'], lambdas: [0.5], generations: 2 });
  const missing = rowOf(
    paperTable(none).rows,
    'expanding, 0% fresh (accumulate, or expanding λ = 1)',
    'not in this run',
  );
  t.deepEqual(
    [missing['2:seeds'], missing['4:this run'], missing['6:this run'], missing['8:this run (t = 0 → last)']],
    ['0', 'not in this run', 'not in this run', 'not in this run'],
  );
});

test('a series no paper configuration matches is listed as not in the paper', (t) => {
  const { rows } = paperTable(makeLock({ cycles: ['mystery'], generations: 2 }));
  const row = rowOf(rows, 'not in the paper', 'mystery');
  t.deepEqual(
    [row['3:unique count reaches 1, at t (paper generation = t + 1): paper'], row['7:semantic: paper']],
    ['not in the paper', 'not in the paper'],
  );
  t.is(rows.filter((r) => r[1] === 'not in this run').length, 6);
});

test('3 seeds: loss at t = 49 with its interval; an older lock says what it lacks; an empty lock lacks every configuration', (t) => {
  const lock = makeLock({ cycles: ['incremental'], lambdas: [0.5], seeds: [1, 2, 3], generations: 50 });
  const incremental = rowOf(paperTable(lock).rows, 'incremental, λ not stated', 'incremental λ=0.5');
  t.is(incremental['2:seeds'], '3');
  t.regex(incremental['6:this run']!, /^\d+% ± \d+%$/);
  const older: LockFile = structuredClone(lock);
  for (const node of Object.values(older.nodes)) if (node.stage === 'eval') delete node.metrics['samples.unique'];
  t.is(
    rowOf(paperTable(older).rows, 'incremental, λ not stated', 'incremental λ=0.5')['4:this run'],
    'samples.unique not recorded',
  );
  t.deepEqual(
    pairs(paperTable({ version: 1, nodes: {} }).rows).map(([, s]) => s),
    Array(6).fill('not in this run'),
  );
});
