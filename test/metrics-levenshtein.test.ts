import test from 'ava';
import { Rng } from '../common/rng.ts';
import { generateExpressions } from '../logic/generator.ts';
import { tokenIds } from '../logic/tokenize.ts';
import { levenshteinDiversity, sampledLevenshteinDiversity } from '../metrics/diversity.ts';
import { levenshtein, levenshteinDP, normalizedDistance } from '../metrics/levenshtein.ts';

const ids = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

test('known small distances', (t) => {
  t.is(levenshtein(ids(), ids()), 0);
  t.is(levenshtein(ids(), ids(1, 2, 3)), 3);
  t.is(levenshtein(ids(1, 2, 3), ids(1, 2, 3)), 0);
  t.is(levenshtein(ids(1, 2, 3), ids(1, 3)), 1);
  t.is(levenshtein(ids(1, 2, 3), ids(3, 2, 1)), 2);
  // kitten / sitting, as token ids
  t.is(levenshtein(ids(10, 8, 19, 19, 4, 13), ids(18, 8, 19, 19, 8, 13, 6)), 3);
  t.is(levenshtein(tokenIds('True and False'), tokenIds('not True and False')), 1);
  t.is(normalizedDistance(ids(), ids()), 0);
  t.is(normalizedDistance(ids(1, 2, 3, 4), ids(1, 2)), 0.5);
  t.is(levenshteinDP([1, 2, 3], [3, 2, 1]), 2);
  // Long sequences across word boundaries: 100 tokens vs the same with 3 substitutions.
  const long = Uint8Array.from({ length: 100 }, (_, i) => i % 7);
  const edited = long.slice();
  for (const at of [0, 31, 99]) edited[at] = (edited[at] + 1) % 7;
  t.is(levenshtein(long, edited), 3);
});

test('bit-parallel equals the DP on random pairs of length 0..150, and is symmetric', (t) => {
  const rng = new Rng('levenshtein');
  let checked = 0;
  for (let k = 0; k < 3000; k++) {
    // Small alphabets give many matches, large ones few; lengths cross the 32- and 64-token word boundaries.
    const alphabet = rng.range(1, 12);
    const a = Uint8Array.from({ length: rng.int(151) }, () => rng.int(alphabet));
    const b =
      rng.int(4) === 0
        ? a.map((x) => (rng.int(10) === 0 ? rng.int(alphabet) : x))
        : Uint8Array.from({ length: rng.int(151) }, () => rng.int(alphabet));
    const expected = levenshteinDP(a, b);
    if (levenshtein(a, b) !== expected || levenshtein(b, a) !== expected) {
      t.fail(`mismatch for [${a}] / [${b}]: DP ${expected}, fast ${levenshtein(a, b)} / ${levenshtein(b, a)}`);
      return;
    }
    checked++;
  }
  t.is(checked, 3000);
});

test('diversity: identical sets are 0, small sets match a brute-force DP mean', (t) => {
  t.is(levenshteinDiversity([]), 0);
  t.is(levenshteinDiversity([tokenIds('True')]), 0);
  t.is(levenshteinDiversity(Array.from({ length: 50 }, () => tokenIds('not ( True and False )'))), 0);
  const rng = new Rng('diversity');
  const randomSeq = (): Uint8Array => Uint8Array.from({ length: rng.int(101) }, () => rng.int(7));
  for (let round = 0; round < 30; round++) {
    // Expressions, and (every third round) random sequences of 0..100 tokens for multi-word patterns and empties.
    const pool =
      round % 3 === 2
        ? Array.from({ length: 15 }, randomSeq)
        : generateExpressions({ n: 15, seed: round, dMax: 7 }).map(tokenIds);
    // Duplicates on purpose, to exercise grouping.
    const set = Array.from({ length: rng.range(2, 40) }, () => pool[rng.int(pool.length)]);
    let sum = 0;
    for (let i = 0; i < set.length; i++) {
      for (let j = i + 1; j < set.length; j++) {
        const longer = Math.max(set[i].length, set[j].length);
        sum += longer === 0 ? 0 : levenshteinDP(set[i], set[j]) / longer;
      }
    }
    const expected = sum / ((set.length * (set.length - 1)) / 2);
    t.true(Math.abs(levenshteinDiversity(set) - expected) < 1e-12, `round ${round}`);
  }
});

test('sampled diversity is within a few standard errors of the exact value', (t) => {
  const set = generateExpressions({ n: 600, seed: 5, trueOnly: true }).map(tokenIds);
  const exact = levenshteinDiversity(set);
  const sampled = sampledLevenshteinDiversity(set, 5000, 9);
  t.is(sampled.pairs, 5000);
  t.true(sampled.stderr > 0);
  t.true(
    Math.abs(sampled.mean - exact) < 4 * sampled.stderr,
    `exact ${exact}, sampled ${sampled.mean} ± ${sampled.stderr}`,
  );
  t.deepEqual(sampledLevenshteinDiversity(set.slice(0, 1), 100, 1), { mean: 0, stderr: 0, pairs: 0 });
});
