import test from 'ava';
import { Rng } from '../common/rng.ts';
import { nextDataset, type BuildParams } from '../stages/build-dataset.ts';
import type { ExpressionRow } from '../stages/dataset.ts';
import { loadLogic } from '../tasks/logic/index.ts';

const n = 20;
const real = (e: string): ExpressionRow => ({ expression: e, origin: 'real', generation: 0 });
const task = loadLogic({ depth_min: 1, depth_max: 5 });
const d0 = task.realRows({ n, seed: 1 }).map(real);
// S_2 with duplicates, as a collapsing model makes them
const samples: ExpressionRow[] = Array.from({ length: n }, (_, i) => ({
  expression: i % 3 === 0 ? 'True' : `not False${' or True'.repeat(i)}`,
  origin: 'synthetic',
  generation: 2,
}));
const current: ExpressionRow[] = [...d0.slice(0, 15), ...samples.slice(0, 5).map((r) => ({ ...r, generation: 1 }))];
const heldout: ReadonlySet<string> = new Set();
const params = (cycle: BuildParams['cycle'], lambda?: number): BuildParams => ({ cycle, lambda, n, generation: 3 });
const build = (p: BuildParams) => nextDataset(p, { d0, current, samples, task, heldout }, new Rng(7));
const count = (rows: ExpressionRow[], origin: string, generation: number) =>
  rows.filter((r) => r.origin === origin && r.generation === generation).length;

test('full_synthetic is S_t itself', (t) => {
  t.deepEqual(build(params('full_synthetic')), samples);
});

test('balanced draws half from D_0 and half from S_t, without replacement', (t) => {
  const rows = build(params('balanced'));
  t.is(rows.length, n);
  t.is(count(rows, 'real', 0), n / 2);
  t.is(count(rows, 'synthetic', 2), n / 2);
  t.is(new Set(rows.filter((r) => r.origin === 'real').map((r) => r.expression)).size, n / 2, 'no D_0 row twice');
});

test('incremental keeps n − round(λn) rows of D_t and adds round(λn) of S_t', (t) => {
  const rows = build(params('incremental', 0.3));
  t.is(rows.length, n);
  t.is(count(rows, 'synthetic', 2), 6);
  t.is(rows.length - count(rows, 'synthetic', 2), 14);
  t.true(rows.slice(0, 14).every((r) => current.includes(r)));
});

test('expanding keeps D_t whole, adds round(λn) of S_t and n − round(λn) fresh True expressions in no earlier dataset', (t) => {
  const rows = build(params('expanding', 0.25));
  t.is(rows.length, current.length + n);
  t.deepEqual(rows.slice(0, current.length), current);
  t.is(count(rows, 'synthetic', 2), 5);
  const fresh = rows.filter((r) => r.origin === 'fresh');
  t.is(fresh.length, 15);
  t.true(fresh.every((r) => r.generation === 3));
  const earlier = new Set(current.map((r) => r.expression));
  t.false(fresh.some((r) => earlier.has(r.expression)));
  t.is(build(params('expanding', 1)).filter((r) => r.origin === 'fresh').length, 0, 'λ = 1 is pure accumulation');
});

test('fresh rows are never held-out rows: the expanding cycle draws around them', (t) => {
  const first = build(params('expanding', 0.25)).filter((r) => r.origin === 'fresh');
  const held = new Set(first.slice(0, 10).map((r) => r.expression));
  const rows = nextDataset(params('expanding', 0.25), { d0, current, samples, task, heldout: held }, new Rng(7));
  const fresh = rows.filter((r) => r.origin === 'fresh');
  t.is(fresh.length, 15);
  t.false(fresh.some((r) => held.has(r.expression)));
});

test('the cycles that read λ refuse to run without it; drawing more rows than exist is an error', (t) => {
  t.throws(() => build(params('incremental')), { message: /incremental cycle needs lambda/ });
  t.throws(
    () => nextDataset({ ...params('balanced'), n: 2 * n + 2 }, { d0, current, samples, task, heldout }, new Rng(1)),
    {
      message: /cannot draw 21 rows from D_0: it has only 20/,
    },
  );
});

test('accumulate keeps D_t whole and adds all of S_t: the dataset grows by n', (t) => {
  const rows = build(params('accumulate'));
  t.deepEqual(rows, [...current, ...samples]);
});

// A curated S_t shorter than what the cycle takes: every kept row once, the shortfall drawn from them with replacement.
const curated = samples.slice(0, 4);
const short = (p: BuildParams) => nextDataset(p, { d0, current, samples: curated, task, heldout }, new Rng(7));
const onlyFrom = (rows: ExpressionRow[], from: ExpressionRow[]) => rows.every((r) => from.includes(r));

test('a curated S_t shorter than n fills full_synthetic and accumulate to n rows from itself, each kept row at least once', (t) => {
  const full = short(params('full_synthetic'));
  t.is(full.length, n);
  t.deepEqual(full.slice(0, curated.length), curated);
  t.true(onlyFrom(full, curated));
  const accumulated = short(params('accumulate'));
  t.is(accumulated.length, current.length + n);
  t.deepEqual(accumulated.slice(0, current.length), current);
  t.true(onlyFrom(accumulated.slice(current.length), curated));
});

test('a curated S_t shorter than the draw tops up balanced, incremental and expanding, keeping their shares', (t) => {
  const balanced = short(params('balanced'));
  t.is(count(balanced, 'real', 0), n / 2);
  t.is(count(balanced, 'synthetic', 2), n / 2);
  t.true(
    onlyFrom(
      balanced.filter((r) => r.origin === 'synthetic'),
      curated,
    ),
  );
  const incremental = short(params('incremental', 0.5));
  t.is(incremental.length, n);
  t.is(
    incremental.filter((r) => curated.includes(r)).length,
    10,
    'round(0.5·20) rows of S_t, all from the curated four',
  );
  const expanding = short(params('expanding', 0.5));
  t.is(expanding.length, current.length + n);
  t.is(count(expanding, 'fresh', 3), 10);
  t.throws(() => nextDataset(params('full_synthetic'), { d0, current, samples: [], task, heldout }, new Rng(1)), {
    message: /cannot take 20 rows from S_t: it has none/,
  });
});

// Periodic fresh data: fresh_every = 2, fresh_share = 0.25, so D_2 and D_4 each take round(0.25·20) = 5 fresh rows.
const periodic = (cycle: BuildParams['cycle'], generation: number, fresh_share = 0.25): BuildParams => ({
  cycle,
  fresh_every: 2,
  fresh_share,
  n,
  generation,
});
const composition = (rows: ExpressionRow[]) => {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[`${r.origin}@${r.generation}`] = (counts[`${r.origin}@${r.generation}`] ?? 0) + 1;
  return counts;
};

test('fresh_every 2 replaces round(fresh_share·n) synthetic rows of D_2 and D_4 with fresh real rows, none of D_3', (t) => {
  for (const generation of [2, 4]) {
    const rows = build(periodic('full_synthetic', generation));
    t.deepEqual(composition(rows), { 'synthetic@2': 15, [`fresh@${generation}`]: 5 }, `D_${generation}`);
    // In place: every row that is not fresh is the S_t row that was there.
    t.true(rows.every((r, i) => r.origin === 'fresh' || r === samples[i]));
  }
  t.deepEqual(build(periodic('full_synthetic', 3)), samples, 'D_3 is S_t itself');
  t.throws(() => build({ ...periodic('full_synthetic', 2), fresh_share: undefined }), { message: /needs fresh_share/ });
});

test('injected rows are distinct and in neither D_t nor the held-out set', (t) => {
  const first = build(periodic('full_synthetic', 2)).filter((r) => r.origin === 'fresh');
  const held = new Set(first.slice(0, 3).map((r) => r.expression));
  const rows = nextDataset(periodic('full_synthetic', 2), { d0, current, samples, task, heldout: held }, new Rng(7));
  const fresh = rows.filter((r) => r.origin === 'fresh').map((r) => r.expression);
  t.is(fresh.length, 5);
  const earlier = new Set(current.map((r) => r.expression));
  t.false(fresh.some((e) => held.has(e) || earlier.has(e)));
  t.is(new Set(fresh).size, 5, 'distinct');
});

test('an injection replaces only synthetic rows: balanced keeps its real half, and all synthetic rows go when fewer than f', (t) => {
  const rows = build(periodic('balanced', 2));
  t.deepEqual(composition(rows), { 'real@0': 10, 'synthetic@2': 5, 'fresh@2': 5 });
  const all = build(periodic('balanced', 2, 1));
  t.deepEqual(composition(all), { 'real@0': 10, 'fresh@2': 10 }, 'f = 20, but only 10 rows are synthetic');
  t.deepEqual(
    all.filter((r) => r.origin === 'real'),
    build(params('balanced')).filter((r) => r.origin === 'real'),
    'the same D_0 rows as without an injection',
  );
});
