import test from 'ava';
import { differenceInterval, seedGroups, seedStat, studentQuantile } from '../experiment/seeds.ts';
import { evalPoints } from '../experiment/eval-points.ts';
import { makeLock } from './fixtures/compare/locks.ts';

test('t quantiles match the printed tables', (t) => {
  // t(0.975, df) from any statistics table: 12.706, 4.303, 2.776, 2.228, 1.960 (df → ∞).
  for (const [df, value] of [
    [1, 12.7062],
    [2, 4.3027],
    [4, 2.7764],
    [10, 2.2281],
    [1e6, 1.96],
  ] as const) {
    t.is(studentQuantile(0.975, df).toFixed(4), value.toFixed(4), `df ${df}`);
  }
});

test('seed statistics: mean, sample sd and the 95% t-interval, by hand for 1..5', (t) => {
  const stat = seedStat([1, 2, 3, 4, 5]);
  // s = √2.5, s/√5 = √0.5; half-width 2.776445 · 0.707107 = 1.963243.
  t.is(stat.mean, 3);
  t.is(stat.sd!.toFixed(6), Math.sqrt(2.5).toFixed(6));
  t.is(stat.ci95!.low.toFixed(5), (3 - 1.963243).toFixed(5));
  t.is(stat.ci95!.high.toFixed(5), (3 + 1.963243).toFixed(5));
  t.deepEqual(stat.values, [1, 2, 3, 4, 5]);
});

test('one seed is one seed: no sd, no interval', (t) => {
  t.deepEqual(seedStat([0.42]), { mean: 0.42, n: 1, values: [0.42] });
  t.throws(() => seedStat([]), { message: /no values/ });
});

test("Welch's interval of a difference, by hand; none with a single seed", (t) => {
  // means 2 and 5, both s = 1, n = 3: df = 4, half-width 2.776445 · √(2/3) = 2.266958.
  const diff = differenceInterval(seedStat([1, 2, 3]), seedStat([4, 5, 6]))!;
  t.is(diff.low.toFixed(5), (3 - 2.266958).toFixed(5));
  t.is(diff.high.toFixed(5), (3 + 2.266958).toFixed(5));
  t.is(differenceInterval(seedStat([1]), seedStat([4, 5, 6])), undefined);
});

test('seed groups: one per series and generation, seeds in order', (t) => {
  const groups = seedGroups(
    evalPoints(makeLock({ cycles: ['balanced', 'incremental'], seeds: [3, 1, 2], generations: 2 })),
  );
  t.is(groups.length, 4);
  t.deepEqual(
    groups.map((g) => [g.place.cycle, g.place.generation, g.seeds]),
    [
      ['balanced', 0, [1, 2, 3]],
      ['balanced', 1, [1, 2, 3]],
      ['incremental', 0, [1, 2, 3]],
      ['incremental', 1, [1, 2, 3]],
    ],
  );
});
