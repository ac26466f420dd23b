import test from 'ava';
import { copiedShare, sequencesForDiversity, summarizeExpressions } from '../metrics/summary.ts';

test('summary of a mixed set', (t) => {
  const summary = summarizeExpressions(['True', 'True', 'not ( False or True )', 'True and', 'banana split']);
  t.is(summary.count, 5);
  t.is(summary.syntactic, 3 / 5);
  t.is(summary.semantic, 2 / 5);
  t.is(summary.unique, 4);
  t.is(summary.meanLength, (1 + 1 + 6 + 2 + 2) / 5);
  t.is(summary.meanDepth, (1 + 1 + 3) / 3);
  t.true(summary.diversity > 0 && summary.diversity < 1);
});

test('empty and unparseable sets', (t) => {
  t.deepEqual(summarizeExpressions([]), {
    count: 0,
    syntactic: 0,
    semantic: 0,
    diversity: 0,
    diversityStderr: 0,
    unique: 0,
    meanLength: 0,
    meanDepth: null,
  });
  const junk = summarizeExpressions(['a b', 'a c', 'a b']);
  t.is(junk.meanDepth, null);
  // 'a b' vs 'a c' differ by one word in two; 'a b' twice is 0: mean of (0.5, 0.5, 0).
  t.is(junk.diversity, 1 / 3);
});

test('a sampled diversity estimate is seeded and lands near the exact value', (t) => {
  const lines = ['True', 'not False', 'True and False or True', 'not ( True or False )', 'False or True', 'True'];
  const exact = summarizeExpressions(lines);
  t.is(exact.diversityStderr, 0);
  const a = summarizeExpressions(lines, { diversityPairs: 4000, seed: 5 });
  t.deepEqual(a, summarizeExpressions(lines, { diversityPairs: 4000, seed: 5 }));
  t.true(a.diversityStderr > 0);
  t.true(Math.abs(a.diversity - exact.diversity) < 4 * a.diversityStderr, `${a.diversity} vs ${exact.diversity}`);
});

test('unknown words get their own ids from 7, shared across lines', (t) => {
  t.deepEqual(
    sequencesForDiversity(['True and', 'foo True', 'bar foo', '(True)']).map((s) => [...s]),
    [[0, 2], [7, 0], [8, 7], [5, 0, 6]],
  );
});

test('copiedShare counts samples found verbatim in the reference', (t) => {
  t.is(copiedShare(['True', 'not False', 'True'], ['True', 'False']), 2 / 3);
  t.is(copiedShare([], ['True']), 0);
});
