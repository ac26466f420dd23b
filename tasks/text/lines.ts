/**
 * A task over a list of real lines of text: what the `text` task (WordNet's example sentences) and the `corpus` task
 * (a researcher's file) share. The lines are whitespace-normalised, deduplicated, kept when they fit max_length tokens
 * and sorted, so the rows, the vocabulary and every seeded draw depend only on the lines' content, never on their order.
 *
 * Tokens are characters or space-separated words. The vocabulary is every symbol of the kept lines, sorted, then
 * `<unk>`, then the end token (the last id, as tasks/task.ts asks), so every real row, D_0 or fresh, encodes exactly.
 * A symbol outside the vocabulary (text the model never saw, e.g. `score` on a foreign file) encodes as `<unk>`,
 * which decodes as U+FFFD for characters and as the word `<unk>` for words: never valid, never a corpus row.
 * encode(decode(ids)) gives the ids back for any ids without the end token, so samples train as they were sampled.
 *
 * Metrics (summarize, word level: the lines' space-separated tokens):
 * - distinct_1/2/3: distinct n-grams / total n-grams over all lines, n-grams within a line; 0 when there are none.
 * - validity: share of lines with at least one word whose every word is a word of the corpus or of the English word
 *   list of the npm package `an-array-of-english-words` (MIT licence, © Zeke Sikelianos).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Rng } from '../../common/rng.ts';
import type { LoadedTask, RealRowsRequest, Supply, Task, Tokenizer } from '../task.ts';

const TOKEN_KINDS = ['char', 'word'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** The options both text tasks read; the default model's block (64) holds 63 tokens and the end token. */
export const textOptionsShape = {
  /** char: one token a character (56 symbols on WordNet's sentences); word: one a space-separated word (34,430). */
  tokens: z.enum(TOKEN_KINDS).default('char'),
  /** Lines longer than this many tokens are left out of the corpus; must leave room for the end token in model.block_size. */
  max_length: z.number().int().positive().default(63),
};
export const textOptions = z.strictObject(textOptionsShape);
export type TextOptions = z.infer<typeof textOptions>;

const TEXT_METRICS = ['validity', 'distinct_1', 'distinct_2', 'distinct_3'] as const;
/** Whether the samples are still English, and how varied their word pairs are. */
const TEXT_HEADLINE_METRICS = ['validity', 'distinct_2'] as const;

const UNKNOWN = '<unk>';
const END = '<eos>';
const UNKNOWN_CHAR = '\uFFFD';

/** One line as both tasks store it: whitespace runs become one space, no leading or trailing space. */
function collapseWhitespace(line: string): string {
  return line.replace(/\s+/gu, ' ').trim();
}

/** A line's tokens: its characters (code points) or its space-separated words. */
export function splitTokens(line: string, tokens: TokenKind): string[] {
  if (tokens === 'char') return Array.from(line);
  return line === '' ? [] : line.split(' ');
}

/** The corpus rows: normalised, non-empty, distinct, at most max_length tokens, sorted. */
export function corpusRows(lines: Iterable<string>, options: TextOptions): string[] {
  const kept = new Set<string>();
  for (const raw of lines) {
    const line = collapseWhitespace(raw);
    if (line !== '' && splitTokens(line, options.tokens).length <= options.max_length) kept.add(line);
  }
  return [...kept].sort();
}

export function textTokenizer(rows: readonly string[], tokens: TokenKind): Tokenizer {
  const symbols = new Set<string>();
  for (const row of rows) for (const symbol of splitTokens(row, tokens)) symbols.add(symbol);
  const vocabulary = [...[...symbols].sort(), UNKNOWN, END];
  const ids = new Map(vocabulary.slice(0, -2).map((symbol, id) => [symbol, id]));
  const unknown = vocabulary.length - 2;
  const eos = vocabulary.length - 1;
  const shown = vocabulary.slice();
  shown[unknown] = tokens === 'char' ? UNKNOWN_CHAR : UNKNOWN;
  const separator = tokens === 'char' ? '' : ' ';
  return {
    vocabulary,
    eos,
    // Characters as they are, so a sample's spaces survive encode(decode(ids)); words split on any whitespace.
    encode: (text) =>
      splitTokens(tokens === 'char' ? text : collapseWhitespace(text), tokens).map(
        (symbol) => ids.get(symbol) ?? unknown,
      ),
    decode(idList) {
      const out: string[] = [];
      for (let i = 0; i < idList.length && idList[i] !== eos; i++) {
        const symbol = shown[idList[i]];
        if (symbol === undefined)
          throw new Error(`decode: id ${idList[i]} is outside the vocabulary of ${vocabulary.length}`);
        out.push(symbol);
      }
      return out.join(separator);
    },
  };
}

/**
 * n distinct rows for a seed: the first rows not in `exclude` of the seed's permutation of all rows. `source` names
 * the corpus in the error when it runs short.
 */
export function drawRows(
  rows: readonly string[],
  { n, seed, exclude, progress }: RealRowsRequest,
  source: string,
): string[] {
  const order = new Rng(seed).shuffle(rows.map((_, i) => i));
  const out: string[] = [];
  for (const i of order) {
    if (out.length === n) break;
    if (!exclude?.has(rows[i])) out.push(rows[i]);
  }
  if (out.length < n) {
    const left = exclude ? ` that are not among the ${exclude.size} excluded rows` : '';
    throw new Error(`${source}: asked for ${n} real rows but it has only ${out.length}${left}`);
  }
  progress?.(n, n);
  return out;
}

let englishWords: ReadonlySet<string> | undefined;

/** The word list of `an-array-of-english-words` (~275,000 lower-case words), read once. */
function englishWordList(): ReadonlySet<string> {
  if (!englishWords) {
    const file = createRequire(import.meta.url).resolve('an-array-of-english-words');
    englishWords = new Set(JSON.parse(readFileSync(file, 'utf8')) as string[]);
  }
  return englishWords;
}

/** distinct-1/2/3 and validity (see the header) over lines, against the corpus's own words. */
export function textSummary(lines: readonly string[], corpusWords: ReadonlySet<string>): Record<string, number> {
  const english = englishWordList();
  const grams = [new Set<string>(), new Set<string>(), new Set<string>()];
  const totals = [0, 0, 0];
  let valid = 0;
  for (const line of lines) {
    const words = splitTokens(collapseWhitespace(line), 'word');
    if (words.length > 0 && words.every((w) => corpusWords.has(w) || english.has(w))) valid++;
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i + k < words.length; i++) grams[k].add(words.slice(i, i + k + 1).join(' '));
      totals[k] += Math.max(0, words.length - k);
    }
  }
  const ratio = (k: number): number => (totals[k] === 0 ? 0 : grams[k].size / totals[k]);
  return {
    validity: lines.length === 0 ? 0 : valid / lines.length,
    distinct_1: ratio(0),
    distinct_2: ratio(1),
    distinct_3: ratio(2),
  };
}

/** The rows of a corpus, and the most tokens one has, besides what stages use. */
export type TextTask = LoadedTask & { rows: readonly string[]; longest: number };

/** The LoadedTask of a list of raw lines; `source` names the corpus in errors. */
export function textTask(lines: Iterable<string>, options: TextOptions, source: string): TextTask {
  const rows = corpusRows(lines, options);
  const corpusWords = new Set(rows.flatMap((row) => splitTokens(row, 'word')));
  return {
    rows,
    longest: rows.reduce((most, row) => Math.max(most, splitTokens(row, options.tokens).length), 0),
    tokenizer: textTokenizer(rows, options.tokens),
    realRows: (request) => drawRows(rows, request, source),
    summarize: (samples) => textSummary(samples, corpusWords),
    metricNames: TEXT_METRICS,
  };
}

/** What a text task's options' max_length counts. */
export const tokenUnit = (options: TextOptions): string => (options.tokens === 'char' ? 'characters' : 'words');

/**
 * A Task over lines of text (text's sentences, corpus's file): the text metrics, and the vocabulary size, longest
 * example and supply read from its loaded rows; `supplyWords` says what the rows are and where they come from.
 */
export function textLikeTask<O extends TextOptions>(
  task: Pick<Task<O>, 'name' | 'options' | 'contentHash'> & {
    load(options: O): TextTask;
    supplyWords(options: O): Omit<Supply, 'count'>;
  },
): Task<O> {
  const { supplyWords, load, ...rest } = task;
  return {
    ...rest,
    load,
    headlineMetrics: TEXT_HEADLINE_METRICS,
    vocabularySize: (options) => load(options).tokenizer.vocabulary.length,
    longestExample: (options) => load(options).longest,
    supply: (options) => ({ count: load(options).rows.length, ...supplyWords(options) }),
  };
}
