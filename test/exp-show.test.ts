/** `exp show`: three locks with known differences side by side, in each format, through the CLI's handlers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { compareCli } from './fixtures/compare/cli.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import { evalPoints } from '../experiment/eval-points.ts';
import { expTable, type ExpTable } from '../experiment/exp-show.ts';
import { seedStat } from '../experiment/seeds.ts';
import { makeLock, recordedParams } from './fixtures/compare/locks.ts';

const cli = compareCli;

// a: the base, two seeds; b: T = 0.4, two seeds; c: width 32, one seed. Each full_synthetic only, three generations.
const base = ['generations=3', 'sweep.cycle.name=[full_synthetic]'];
const LOCKS: Record<string, LockFile> = {
  a: makeLock({
    cycles: ['full_synthetic'],
    seeds: [1, 2],
    generations: 3,
    params: recordedParams([...base, 'sweep.seed=[1,2]']),
  }),
  b: makeLock({
    cycles: ['full_synthetic'],
    seeds: [1, 2],
    generations: 3,
    params: recordedParams([...base, 'sweep.seed=[1,2]', 'sample.temperature=0.4']),
  }),
  c: makeLock({
    cycles: ['full_synthetic'],
    seeds: [1],
    generations: 3,
    params: recordedParams([...base, 'model.width=32']),
  }),
};
const dir = mkdtempSync(path.join(tmpdir(), 'exp-show-'));
for (const [name, lock] of Object.entries(LOCKS)) writeFileSync(path.join(dir, `${name}.lock`), JSON.stringify(lock));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** The lock's diversity at generation 2 over its seeds, computed here from the lock's own values. */
const diversity = (name: string) =>
  seedStat(
    evalPoints(LOCKS[name]!)
      .filter((p) => p.place.generation === 2)
      .map((p) => p.metrics['samples.diversity'] as number),
  );

test('one row per lock: the params that differ as columns, the headline metrics at the last generation', async (t) => {
  const table = JSON.parse(await cli(dir, 'exp', 'show', '*.lock', '--json')) as ExpTable;
  t.deepEqual(table.params, ['model.width', 'sample.temperature']);
  t.deepEqual(
    table.rows.map((r) => [r.lock, r.series, r.seeds, r.generation, r.params]),
    [
      ['a.lock', 'cycle=full_synthetic', [1, 2], 2, { 'model.width': 64, 'sample.temperature': 0.6 }],
      ['b.lock', 'cycle=full_synthetic', [1, 2], 2, { 'model.width': 64, 'sample.temperature': 0.4 }],
      ['c.lock', 'cycle=full_synthetic', [1], 2, { 'model.width': 32, 'sample.temperature': 0.6 }],
    ],
  );
  t.deepEqual(table.rows[0]!.metrics['samples.diversity'], diversity('a'));
  t.deepEqual(table.rows[2]!.metrics['samples.diversity'], diversity('c'));
  t.deepEqual(table.notes, []);
});

test('text, Markdown and CSV carry the same rows; --sort orders them', async (t) => {
  const a = diversity('a');
  const half = ((a.ci95!.high - a.ci95!.low) / 2).toFixed(3);
  const text = (await cli(dir, 'exp', 'show', 'a.lock', 'b.lock', 'c.lock')).split('\n');
  t.regex(
    text[0]!,
    /^lock\s+series\s+seeds\s+gen\s+model\.width\s+sample\.temperature\s+semantic\s+syntactic\s+diversity\s+unique\s+copied$/,
  );
  t.regex(
    text[2]!,
    new RegExp(
      `^a\\.lock\\s+cycle=full_synthetic\\s+2\\s+2\\s+64\\s+0\\.6\\s+\\S+\\s+\\S+\\s+${a.mean.toFixed(3)}±${half}\\s`,
    ),
  );
  const md = (await cli(dir, 'exp', 'show', '*.lock', '--md')).split('\n');
  t.is(
    md[0],
    '| lock | series | seeds | gen | model.width | sample.temperature | semantic | syntactic | diversity | unique | copied |',
  );
  t.true(md[4]!.startsWith('| c.lock | cycle=full_synthetic | 1 | 2 | 32 | 0.6 | '));
  const csv = (await cli(dir, 'exp', 'show', '*.lock', '--csv')).split('\n');
  t.true(
    csv[0]!.startsWith(
      'lock,series,seeds,gen,model.width,sample.temperature,samples.semantic,samples.semantic.ci95_low,samples.semantic.ci95_high,',
    ),
  );
  const cells = csv[1]!.split(',');
  t.deepEqual(cells.slice(0, 6), ['a.lock', 'cycle=full_synthetic', '2', '2', '64', '0.6']);
  t.is(Number(cells[csv[0]!.split(',').indexOf('samples.diversity.ci95_low')]), a.ci95!.low);
  t.is(csv.length, 4);
  const sorted = JSON.parse(await cli(dir, 'exp', 'show', '*.lock', '--json', '--sort', 'model.width')) as ExpTable;
  t.deepEqual(
    sorted.rows.map((r) => r.lock),
    ['c.lock', 'a.lock', 'b.lock'],
  );
  const desc = JSON.parse(
    await cli(dir, 'exp', 'show', '*.lock', '--json', '--sort', 'sample.temperature', '--desc'),
  ) as ExpTable;
  t.deepEqual(
    desc.rows.map((r) => r.params!['sample.temperature']),
    [0.6, 0.6, 0.4],
  );
  await t.throwsAsync(cli(dir, 'exp', 'show', '*.lock', '--sort', 'nope'), {
    message: /^--sort nope: no such column; expected one of lock, series, gen, model\.width, sample\.temperature, /,
  });
});

test('--chains: one row per chain, seed among the differing params', async (t) => {
  const table = JSON.parse(await cli(dir, 'exp', 'show', '*.lock', '--json', '--chains')) as ExpTable;
  t.deepEqual(table.params, ['model.width', 'sample.temperature', 'seed']);
  t.deepEqual(
    table.rows.map((r) => [r.lock, r.series, r.params!.seed]),
    [
      ['a.lock', 'cycle=full_synthetic/seed=1', 1],
      ['a.lock', 'cycle=full_synthetic/seed=2', 2],
      ['b.lock', 'cycle=full_synthetic/seed=1', 1],
      ['b.lock', 'cycle=full_synthetic/seed=2', 2],
      ['c.lock', 'cycle=full_synthetic/seed=1', 1],
    ],
  );
  t.true(table.rows.every((r) => r.metrics['samples.diversity']!.ci95 === undefined));
});

test('a lock without params gets n/a cells and a note; no committed lock and no match are one-line errors', async (t) => {
  writeFileSync(
    path.join(dir, 'old.lock-v1'),
    JSON.stringify(makeLock({ cycles: ['full_synthetic'], generations: 3 })),
  );
  const text = await cli(dir, 'exp', 'show', 'a.lock', 'c.lock', 'old.lock-v1');
  t.regex(text, /^old\.lock-v1\s+cycle=full_synthetic\s+1\s+2\s+n\/a\s+\S/m);
  t.true(
    text.endsWith(
      'n/a: old.lock-v1 records no params: it is a version 1 lock, written before locks recorded them; rerun repro to record them',
    ),
  );
  await t.throwsAsync(cli(dir, 'exp', 'show', 'runs/*.lock'), { message: 'no file matches runs/*.lock' });
  await t.throwsAsync(cli(dir, 'exp', 'show'), {
    message:
      /^cannot list the committed locks under .* \(git: fatal: not a git repository.*\): name the locks instead$/,
  });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['add', 'b.lock'], { cwd: dir });
  t.deepEqual(
    (JSON.parse(await cli(dir, 'exp', 'show', '--json')) as ExpTable).rows.map((r) => r.lock),
    ['b.lock'],
  );
});

test('the perplexities are columns by default where a lock records them', (t) => {
  const measured = makeLock({ cycles: ['full_synthetic'], generations: 3, perplexity: true });
  const table = expTable([
    { label: 'a.lock', lock: LOCKS.a! },
    { label: 'p.lock', lock: measured },
  ]);
  t.deepEqual(table.metrics.slice(-2), ['heldout.perplexity', 'samples.perplexity_m0']);
  t.is(table.rows[0]!.metrics['heldout.perplexity'], null, 'n/a where a lock has none');
  t.is(table.rows[1]!.metrics['heldout.perplexity']!.mean, 2 + 0.3 * 2 + 0.01);
});
