/**
 * corpus: the loop on a researcher's own UTF-8 file, one example a line (`task: { name: corpus, path: my.txt }`).
 * The lines become rows as for the text task (tasks/text/lines.ts: whitespace collapsed, empty and over-long lines left
 * out, deduplicated, sorted), with its tokenizer and metrics; D_0 is drawn from them and fresh rows from the rest.
 * A relative path is read from the current directory. Nodes carry the options (the path among them) and the file's
 * SHA-256 (contentHash, tasks/registry.ts taskSlice), so editing the file reruns what depends on it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { textLikeTask, textOptionsShape, textTask, tokenUnit, type TextTask } from '../text/lines.ts';

export const corpusOptions = z.strictObject({
  /** The UTF-8 file, one example a line. */
  path: z.string().min(1),
  ...textOptionsShape,
});
export type CorpusOptions = z.infer<typeof corpusOptions>;

/** The file's bytes, or an error naming the path that a user can act on (no stack trace: it is bad input). */
function readCorpus(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`task.path: no such file '${path}'`);
    if (code === 'EISDIR') throw new Error(`task.path: '${path}' is a directory, expected a UTF-8 text file`);
    throw new Error(`task.path: cannot read '${path}': ${(error as Error).message}`);
  }
}

/** The file's lines, or an error naming the first line that is not UTF-8. */
function corpusLines(path: string, bytes: Buffer): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const lines: string[] = [];
  let start = 0;
  while (start <= bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end < 0 ? bytes.length : end;
    try {
      lines.push(decoder.decode(bytes.subarray(start, stop)));
    } catch {
      throw new Error(
        `task.path: '${path}' is not UTF-8: line ${lines.length + 1} has a byte sequence that is not valid UTF-8`,
      );
    }
    start = stop + 1;
  }
  return lines;
}

/** The SHA-256 of the file's bytes: the corpus's identity in the graph's keys. */
export function fileHash(path: string): string {
  return sha256(readCorpus(path));
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The task of a file's content and the options, built once per process (params checks and stages ask again). */
const loaded = new Map<string, TextTask>();
function loadCorpus(options: CorpusOptions): TextTask {
  const bytes = readCorpus(options.path);
  const key = `${sha256(bytes)}:${options.path}:${options.tokens}:${options.max_length}`;
  let task = loaded.get(key);
  if (!task)
    loaded.set(key, (task = textTask(corpusLines(options.path, bytes), options, `task.path '${options.path}'`)));
  if (task.rows.length === 0) {
    throw new Error(
      `task.path: '${options.path}' has no usable line: every line is empty or longer than task.max_length (${options.max_length}) ${tokenUnit(options)}`,
    );
  }
  return task;
}

const corpus = textLikeTask<CorpusOptions>({
  name: 'corpus',
  options: corpusOptions,
  load: loadCorpus,
  contentHash: (options) => fileHash(options.path),
  supplyWords: (options) => ({
    noun: 'distinct lines',
    where: `in task.path '${options.path}' of at most ${options.max_length} ${tokenUnit(options)} (task.max_length)`,
    remedy: 'add lines to the file or raise task.max_length',
  }),
});
export default corpus;
