import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import corpus, { fileHash } from '../tasks/corpus/index.ts';
import text, { glossExamples } from '../tasks/text/index.ts';
import { corpusRows, textSummary, textTask, textTokenizer } from '../tasks/text/lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'tasks-text-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

test('WordNet examples: the quoted parts of the gloss after " | ", lower case, punctuation apart; the licence header is skipped', (t) => {
  const data = [
    '  1 This software and database is being provided to you, "the LICENSEE" | by Princeton',
    '00016848 29 v 01 zonk_out 0 001 @ 00017275 v 0000 01 + 02 00 | fall asleep fast; "After the long drive, we zonked   out"; "it\'s late"  ',
    '00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived (living or nonliving)  ',
  ].join('\n');
  t.deepEqual(
    glossExamples(data).map((e) => corpusRows([e], { tokens: 'char', max_length: 100 })[0]),
    ['after the long drive , we zonked out', "it's late"],
  );
});

test('text: D_0 and fresh rows are deterministic for a seed, distinct, and fresh rows are never in D_0', async (t) => {
  const task = await text.load(text.options.parse({}));
  const d0 = task.realRows({ n: 200, seed: 5 });
  t.deepEqual(task.realRows({ n: 200, seed: 5 }), d0);
  t.notDeepEqual(task.realRows({ n: 200, seed: 6 }), d0);
  t.is(new Set(d0).size, 200);
  const fresh = task.realRows({ n: 300, seed: 9, exclude: new Set(d0) });
  t.deepEqual(task.realRows({ n: 300, seed: 9, exclude: new Set(d0) }), fresh);
  t.is(new Set(fresh).size, 300);
  t.false(fresh.some((row) => d0.includes(row)));
  t.true(
    d0.every((row) => Array.from(row).length <= 63),
    'the default max_length of 63 characters',
  );
});

test('text: every row round-trips through the tokenizer at both token levels; the end token is the last id', async (t) => {
  for (const tokens of ['char', 'word'] as const) {
    const task = await text.load(text.options.parse({ tokens }));
    const { vocabulary, eos, encode, decode } = task.tokenizer;
    t.is(eos, vocabulary.length - 1);
    for (const row of task.realRows({ n: 500, seed: 1 })) {
      const ids = encode(row);
      t.false(ids.includes(vocabulary.indexOf('<unk>')), row);
      t.is(decode([...ids, eos, 0, 1]), row);
    }
  }
});

test('tokenizer: the vocabulary is the sorted symbols, <unk>, end; unknown symbols encode as <unk>', (t) => {
  const chars = textTokenizer(['ab', 'ba c'], 'char');
  t.deepEqual(chars.vocabulary, [' ', 'a', 'b', 'c', '<unk>', '<eos>']);
  t.deepEqual(chars.encode('a  z'), [1, 0, 0, 4]);
  t.is(chars.decode(chars.encode('a  z')), 'a  \uFFFD');
  t.deepEqual(chars.encode(chars.decode([4, 0, 0, 1])), [4, 0, 0, 1], 'a sample trains as it was sampled');
  const words = textTokenizer(['the cat', 'a cat'], 'word');
  t.deepEqual(words.vocabulary, ['a', 'cat', 'the', '<unk>', '<eos>']);
  t.deepEqual(words.encode(' the\tdog  cat '), [2, 3, 1]);
  t.is(words.decode([2, 3, 1, 4, 0]), 'the <unk> cat');
  t.throws(() => words.decode([9]), { message: /id 9 is outside the vocabulary of 5/ });
});

test('rows: whitespace collapsed, empty and over-long lines out, deduplicated, sorted; max_length counts tokens', (t) => {
  const lines = ['b  c ', '', 'a', ' b c', 'a b c d e'];
  t.deepEqual(corpusRows(lines, { tokens: 'char', max_length: 3 }), ['a', 'b c']);
  t.deepEqual(corpusRows(lines, { tokens: 'word', max_length: 5 }), ['a', 'a b c d e', 'b c']);
});

test('distinct-n and validity on hand-computed cases', (t) => {
  const corpusWords = new Set(['zzyzx', ',']);
  // words: [the cat sat] [the cat ran] [zzyzx , qwvx]; 1-grams 9, distinct 7 (the cat sat ran zzyzx , qwvx);
  // 2-grams 6, distinct 5 (the cat twice); 3-grams 3, distinct 3. Valid: lines 1, 2 (English), not 3 (qwvx), not ''.
  const m = textSummary(['the cat sat', 'the  cat ran', 'zzyzx , qwvx', ''], corpusWords);
  t.is(m.distinct_1, 7 / 9);
  t.is(m.distinct_2, 5 / 6);
  t.is(m.distinct_3, 3 / 3);
  t.is(m.validity, 2 / 4);
  t.is(textSummary(['zzyzx ,'], corpusWords).validity, 1, 'a word of the corpus that is no English word');
  t.deepEqual(textSummary([], corpusWords), { validity: 0, distinct_1: 0, distinct_2: 0, distinct_3: 0 });
});

test('realRows names the corpus and the counts when it runs short', (t) => {
  const task = textTask(['a', 'b', 'c'], { tokens: 'char', max_length: 5 }, "task.path 'x.txt'");
  t.throws(() => task.realRows({ n: 2, seed: 1, exclude: new Set(['a', 'b']) }), {
    message: "task.path 'x.txt': asked for 2 real rows but it has only 1 that are not among the 2 excluded rows",
  });
});

test('corpus: rows from the file, deterministic draws, fresh rows never in D_0, the text metrics', async (t) => {
  const path = file('ok.txt', Array.from({ length: 40 }, (_, i) => `line number ${i}`).join('\r\n') + '\n\n');
  const task = await corpus.load(corpus.options.parse({ path }));
  t.deepEqual(task.metricNames, ['validity', 'distinct_1', 'distinct_2', 'distinct_3']);
  const d0 = task.realRows({ n: 10, seed: 3 });
  t.deepEqual(task.realRows({ n: 10, seed: 3 }), d0);
  const fresh = task.realRows({ n: 30, seed: 4, exclude: new Set(d0) });
  t.false(fresh.some((row) => d0.includes(row)));
  t.throws(() => task.realRows({ n: 1, seed: 4, exclude: new Set([...d0, ...fresh]) }), { message: /has only 0/ });
  t.is(task.tokenizer.decode(task.tokenizer.encode(d0[0])), d0[0]);
  t.is(task.summarize(['line number 3']).validity, 1);
});

test('corpus: the content hash follows the bytes, not the path', (t) => {
  const a = file('a.txt', 'one\ntwo\n');
  t.is(fileHash(file('b.txt', 'one\ntwo\n')), fileHash(a));
  t.not(fileHash(file('c.txt', 'one\ntwo!\n')), fileHash(a));
});

test('corpus: bad files are refused naming the path', async (t) => {
  const missing = join(dir, 'missing.txt');
  await t.throwsAsync(async () => corpus.load(corpus.options.parse({ path: missing })), {
    message: `task.path: no such file '${missing}'`,
  });
  const latin1 = file('latin1.txt', Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
  await t.throwsAsync(async () => corpus.load(corpus.options.parse({ path: latin1 })), {
    message: `task.path: '${latin1}' is not UTF-8: line 2 has a byte sequence that is not valid UTF-8`,
  });
  const blank = file('blank.txt', '\n   \n');
  await t.throwsAsync(async () => corpus.load(corpus.options.parse({ path: blank })), {
    message: /'.*blank\.txt' has no usable line/,
  });
});
