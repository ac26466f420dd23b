import test from 'ava';
import { copiedShare, summarizeExpressions } from '../metrics/summary.ts';

test('summary of a mixed set', (t) => {
  const summary = summarizeExpressions(['True', 'True', 'not ( False or True )', 'True and', 'banana split']);
  t.is(summary.count, 5);
  t.is(summary.syntactic, 3 / 5);
  t.is(summary.semantic, 2 / 5);
  t.is(summary.unique, 4);
  t.is(summary.meanLength, (1 + 1 + 6 + 2 + 2) / 5);
  t.is(summary.meanDepth, (1 + 1 + 3) / 3);
  // Sequences [0], [0], [4 5 1 3 0 6], [0 2], [7 8]; distance / longer length over the 10 pairs: [0]-[0] 0;
  // each [0] against the other three 5/6, 1/2, 1; [4 5 1 3 0 6]-[0 2] 5/6 (2 is not in it); the two pairs with [7 8]
  // share nothing, 1. (0 + 2 * (5/6 + 1/2 + 1) + 5/6 + 1 + 1) / 10 = 7.5 / 10.
  t.is(summary.diversity, 0.75);
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

// Diversity of a two-line set is the one pair's distance / the longer length, so each set below shows one rule of the
// sequence a line gets (ids: True 0, ( 5, ) 6, unknown words from 7).
test('diversity sees a line that does not lex as its words: vocabulary ids kept, unknown words told apart across lines', (t) => {
  const diversity = (lines: string[]) => summarizeExpressions(lines).diversity;
  // [7, 0] vs [0, 0]: one substitution in two. Were 'True' given an unknown-word id, or 'foo' the id of True, it
  // would be 1 or 0.
  t.is(diversity(['foo True', 'True True']), 1 / 2);
  // [7, 8] vs [8, 7]: two substitutions in two. Ids made afresh per line would give [7, 8] twice: 0.
  t.is(diversity(['foo bar', 'bar foo']), 1);
  // Both lex to [5, 0, 6]: 0. Split on whitespace, '(True)' would be one unknown word, [7] vs [5, 0, 6]: 1.
  t.is(diversity(['(True)', '( True )']), 0);
});

test('copiedShare counts samples found verbatim in the reference', (t) => {
  t.is(copiedShare(['True', 'not False', 'True'], ['True', 'False']), 2 / 3);
  t.is(copiedShare([], ['True']), 0);
});
