import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { NO_PAIR, ONE_GENERATION, seriesChanges, type ChangeRow } from '../experiment/change.ts';
import { evalPoints } from '../experiment/eval-points.ts';
import { metricsChange } from '../experiment/metrics-change.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import { changeLock } from './fixtures/compare/change-lock.ts';
import { compareCli } from './fixtures/compare/cli.ts';

const SEMANTIC = ['samples.semantic'];
const changes = (lock: LockFile) => seriesChanges(evalPoints(lock), SEMANTIC);
const semanticOf = (row: ChangeRow) => row.metrics['samples.semantic']!;
const near = (actual: number | undefined, expected: number, tolerance = 1e-9) =>
  actual !== undefined && Math.abs(actual - expected) < tolerance;

// t(0.975, n − 1) from a table: the interval must not be checked against the code that computes it.
const T_975 = { 1: 12.706205, 2: 4.302653 };

test('per series: first and last generation, the paired change with its 95% t-interval, by hand', (t) => {
  const rows = changes(changeLock());
  t.deepEqual(
    rows.map((r) => [r.cycle, r.extra, r.firstGeneration, r.lastGeneration, r.seeds]),
    [
      ['full_synthetic', { 'sample.temperature': 0.6 }, 0, 2, [1, 2, 3]],
      ['full_synthetic', { 'sample.temperature': 0.8 }, 0, 2, [1, 2, 3]],
    ],
  );
  // T=0.6: 0.5, 0.5, 0.4 → 0.6, 0.7, 0.7; differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1.
  const warm = semanticOf(rows[0]!);
  t.deepEqual(warm.seeds, [1, 2, 3]);
  t.true(near(warm.first?.mean, 1.4 / 3), String(warm.first?.mean));
  t.true(near(warm.last?.mean, 2 / 3), String(warm.last?.mean));
  t.true(near(warm.change?.mean, 0.2));
  t.true(near(warm.change?.sd, 0.1));
  const half = (T_975[2] * 0.1) / Math.sqrt(3);
  t.true(near(warm.change?.ci95?.low, 0.2 - half, 1e-6), String(warm.change?.ci95?.low));
  t.true(near(warm.change?.ci95?.high, 0.2 + half, 1e-6), String(warm.change?.ci95?.high));
  // T=0.8: differences −0.1, 0, −0.2: mean −0.1, sd 0.1.
  const hot = semanticOf(rows[1]!);
  t.true(near(hot.change?.mean, -0.1));
  t.true(near(hot.change?.ci95?.high, -0.1 + half, 1e-6));
});

test('a seed missing the last generation is left out of the change, and the seed count says so', (t) => {
  const lock = changeLock((temperature, seed, generation) => temperature === 0.8 && seed === 3 && generation === 2);
  const hot = changes(lock)[1]!;
  t.is(hot.lastGeneration, 2, 'the other seeds reached it');
  t.deepEqual(hot.seeds, [1, 2, 3]);
  const { seeds, first, change } = semanticOf(hot);
  t.deepEqual(seeds, [1, 2]);
  t.deepEqual(first?.values, [0.6, 0.5], 'first over the same seeds as the change');
  // Differences −0.1 and 0: mean −0.05, sd 0.1/√2, half-width t(0.975, 1) · 0.1/√2 / √2 = t · 0.05.
  t.true(near(change?.mean, -0.05));
  t.true(near(change?.ci95?.low, -0.05 - T_975[1] * 0.05, 1e-6), String(change?.ci95?.low));
  const text = metricsChange(lock, { format: 'text', metrics: ['semantic'], label: 'fixture' });
  t.regex(text, /full_synthetic\s+0\.8\s+0→2\s+0\.5500\s+0\.5000\s+-0\.0500\s+\[-0\.6853, \+0\.5853\]\s+2\/3$/m);
});

test('one seed: the change without an interval, never a made-up one', (t) => {
  const lock = changeLock((temperature, seed) => temperature === 0.8 && seed !== 1);
  const { change, seeds } = semanticOf(changes(lock)[1]!);
  t.deepEqual(seeds, [1]);
  t.true(near(change?.mean, -0.1));
  t.is(change?.sd, undefined);
  t.is(change?.ci95, undefined);
  const text = metricsChange(lock, { format: 'text', metrics: ['semantic'], label: 'fixture' });
  t.regex(text, /0\.8\s+0→2\s+0\.6000\s+0\.5000\s+-0\.1000\s+one seed\s+1\/1$/m);
});

test('a series with one generation, or no seed at both ends, has no change and says why instead of 0', (t) => {
  const oneGeneration = changeLock((temperature, _seed, generation) => temperature === 0.8 && generation > 0);
  const hot = semanticOf(changes(oneGeneration)[1]!);
  t.is(hot.none, ONE_GENERATION);
  t.is(hot.change, undefined);
  const text = metricsChange(oneGeneration, { format: 'text', metrics: ['semantic'], label: 'fixture' });
  t.regex(text, /0\.8\s+0→0\s+one generation\s+0\/3$/m);
  // Seed 1 has only generation 0, seeds 2 and 3 only generation 2.
  const unpaired = changeLock(
    (temperature, seed, generation) =>
      temperature === 0.8 && ((seed === 1 && generation > 0) || (seed > 1 && generation < 2)),
  );
  t.is(semanticOf(changes(unpaired)[1]!).none, NO_PAIR);
});

const dir = mkdtempSync(path.join(tmpdir(), 'metrics-change-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const lockFile = (name: string, lock: LockFile) => {
  writeFileSync(path.join(dir, name), JSON.stringify(lock, null, 2));
  return name;
};

test('metrics change prints one row per series: first, last, Δ, its interval and the seeds used', async (t) => {
  const lock = lockFile('change.lock', changeLock());
  const lines = (await compareCli(dir, 'metrics', 'change', '--lock', lock, '--metric', 'semantic')).split('\n');
  t.regex(
    lines[0]!,
    /^cycle\s+λ\s+sample\.temperature\s+gens\s+semantic first\s+semantic last\s+semantic Δ\s+semantic 95% CI\s+semantic seeds$/,
  );
  // 0.2 ± 4.302653 · 0.1 / √3 = 0.2 ± 0.2484.
  t.regex(lines[2]!, /^full_synthetic\s+0\.6\s+0→2\s+0\.4667\s+0\.6667\s+\+0\.2000\s+\[-0\.0484, \+0\.4484\]\s+3\/3$/);
  t.regex(lines[3]!, /^full_synthetic\s+0\.8\s+0→2\s+0\.6000\s+0\.5000\s+-0\.1000\s+\[-0\.3484, \+0\.1484\]\s+3\/3$/);
  t.regex(lines[4]!, /^Δ: mean over seeds of \(last − first generation\), paired by seed, with its 95% t-interval/);

  const byDefault = await compareCli(dir, 'metrics', 'change', '--lock', lock);
  t.regex(byDefault.split('\n')[0]!, /semantic seeds\s+syntactic first.*diversity first.*unique first.*copied seeds$/);
  const md = (await compareCli(dir, 'metrics', 'change', '--lock', lock, '--metric', 'semantic', '--md')).split('\n');
  t.regex(
    md[2]!,
    /^\| full_synthetic \|  \| 0\.6 \| 0→2 \| 0\.4667 \| 0\.6667 \| \+0\.2000 \| \[-0\.0484, \+0\.4484\] \| 3\/3 \|$/,
  );
});

test('metrics change --json and --csv carry the numbers; errors name what is wrong', async (t) => {
  const lock = lockFile('change.lock', changeLock());
  const json = JSON.parse(await compareCli(dir, 'metrics', 'change', '--lock', lock, '--json')) as {
    interval: string;
    metrics: string[];
    rows: ChangeRow[];
  };
  t.is(json.interval, '95% t-interval');
  t.true(json.metrics.includes('data.count') || json.metrics.includes('samples.copied'), 'every metric by default');
  t.true(near(json.rows[0]!.metrics['samples.semantic']!.change?.mean, 0.2));
  const [header, first] = (await compareCli(dir, 'metrics', 'change', '--lock', lock, '--csv', '--metric', 'semantic'))
    .trim()
    .split('\n');
  t.is(
    header,
    'cycle,lambda,sample.temperature,first_generation,last_generation,seeds,samples.semantic.first,samples.semantic.last,samples.semantic.delta,samples.semantic.delta.ci95_low,samples.semantic.delta.ci95_high,samples.semantic.seeds',
  );
  const cells = first!.split(',');
  t.deepEqual(cells.slice(0, 6), ['full_synthetic', '', '0.6', '0', '2', '3']);
  t.true(near(Number(cells[8]), 0.2));
  t.is(cells[11], '3');

  await t.throwsAsync(compareCli(dir, 'metrics', 'change', '--lock', lock, '--metric', 'nope'), {
    message: /--metric nope: no such eval metric in the lock; known: samples\.semantic/,
  });
  const trainOnly = lockFile('train.lock', {
    version: 1,
    nodes: { 'train/seed=1/gen=0': { stage: 'train', key: 't', outputs: {}, metrics: {}, tags: { stage: 'train' } } },
  });
  t.regex(
    await compareCli(dir, 'metrics', 'change', '--lock', trainOnly),
    /^no eval nodes in train\.lock's pipeline\.lock: it holds 1 train node\(s\)/,
  );
});
