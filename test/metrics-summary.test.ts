import test from 'ava';
import { copiedShare, summarizeLines } from '../metrics/summary.ts';
import { loadLogic, logicTokenizer } from '../tasks/logic/index.ts';

const summarize = (lines: string[], options = {}) => summarizeLines(lines, logicTokenizer, options);
const logic = loadLogic();

test("summary of a mixed set: the task-independent figures and logic's own", (t) => {
  const lines = ['True', 'True', 'not ( False or True )', 'True and', 'banana split'];
  const summary = summarize(lines);
  t.is(summary.count, 5);
  t.is(summary.unique, 4);
  t.is(summary.meanLength, (1 + 1 + 6 + 2 + 2) / 5);
  // Sequences [0], [0], [4 5 1 3 0 6], [0 2], [8 9]; distance / longer length over the 10 pairs: [0]-[0] 0;
  // each [0] against the other three 5/6, 1/2, 1; [4 5 1 3 0 6]-[0 2] 5/6 (2 is not in it); the two pairs with [8 9]
  // share nothing, 1. (0 + 2 * (5/6 + 1/2 + 1) + 5/6 + 1 + 1) / 10 = 7.5 / 10.
  t.is(summary.diversity, 0.75);
  t.deepEqual(logic.summarize(lines), { syntactic: 3 / 5, semantic: 2 / 5, mean_depth: (1 + 1 + 3) / 3 });
});

test('empty and unparseable sets', (t) => {
  t.deepEqual(summarize([]), { count: 0, diversity: 0, diversityStderr: 0, unique: 0, meanLength: 0 });
  t.deepEqual(logic.summarize([]), { syntactic: 0, semantic: 0, mean_depth: Number.NaN });
  const junk = ['a b', 'a c', 'a b'];
  t.true(Number.isNaN(logic.summarize(junk).mean_depth), 'no mean depth where nothing parses');
  // 'a b' vs 'a c' differ by one word in two; 'a b' twice is 0: mean of (0.5, 0.5, 0).
  t.is(summarize(junk).diversity, 1 / 3);
});

test('a sampled diversity estimate is seeded and lands near the exact value', (t) => {
  const lines = ['True', 'not False', 'True and False or True', 'not ( True or False )', 'False or True', 'True'];
  const exact = summarize(lines);
  t.is(exact.diversityStderr, 0);
  const a = summarize(lines, { diversityPairs: 4000, seed: 5 });
  t.deepEqual(a, summarize(lines, { diversityPairs: 4000, seed: 5 }));
  t.true(a.diversityStderr > 0);
  t.true(Math.abs(a.diversity - exact.diversity) < 4 * a.diversityStderr, `${a.diversity} vs ${exact.diversity}`);
});

// Diversity of a two-line set is the one pair's distance / the longer length, so each set below shows one rule of the
// sequence a line gets (ids: True 0, ( 5, ) 6, <eos> 7, unknown words from 8).
test('diversity sees a line that does not encode as its words: vocabulary ids kept, unknown words told apart across lines', (t) => {
  const diversity = (lines: string[]) => summarize(lines).diversity;
  // [8, 0] vs [0, 0]: one substitution in two. Were 'True' given an unknown-word id, or 'foo' the id of True, it
  // would be 1 or 0.
  t.is(diversity(['foo True', 'True True']), 1 / 2);
  // [8, 9] vs [9, 8]: two substitutions in two. Ids made afresh per line would give [8, 9] twice: 0.
  t.is(diversity(['foo bar', 'bar foo']), 1);
  // Both encode to [5, 0, 6]: 0. Split on whitespace, '(True)' would be one unknown word, [8] vs [5, 0, 6]: 1.
  t.is(diversity(['(True)', '( True )']), 0);
});

test('copiedShare counts samples found verbatim in the reference', (t) => {
  t.is(copiedShare(['True', 'not False', 'True'], ['True', 'False']), 2 / 3);
  t.is(copiedShare([], ['True']), 0);
});
