/**
 * Commands for the expression language on its own: generate expressions, score a file of them (or the expressions
 * of a store object: a node's samples or dataset).
 */
import { createReadStream, existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { checkExpression } from '../logic/check.ts';
import { generateExpressions, MAX_GENERATED_DEPTH } from '../logic/generator.ts';
import { summarizeExpressions } from '../metrics/summary.ts';
import { formatOf, metricChoice, tableFormats } from './options.ts';
import { describeUnreadable, MAX_LINE_BYTES, readTextLines, type TextLines } from './text-lines.ts';

export function registerLanguageCommands(cli: Argv): Argv {
  return cli
    .command(
      'gen',
      'Generate random Boolean expressions (GenLogicExpr), one a line',
      (y) =>
        y
          .option('n', { type: 'number', default: 1000, describe: 'How many expressions' })
          .option('seed', { type: 'string', default: '1', describe: 'Random seed (a number or any string)' })
          .option('depth', {
            default: '1-5',
            describe: `Tree depth: "MIN-MAX" or "D" (1..${MAX_GENERATED_DEPTH})`,
            coerce: parseDepth,
          })
          .option('true-only', { type: 'boolean', default: false, describe: 'Keep only expressions that evaluate to True' })
          .option('unique', { type: 'boolean', default: false, describe: 'No expression twice' })
          .example('$0 gen --n 10000 --seed 1 --true-only --unique', 'The real dataset D0'),
      async (argv) => {
        const [dMin, dMax] = argv.depth;
        if (!Number.isInteger(argv.n) || argv.n < 0) throw new Error(`--n must be a non-negative integer, got ${argv.n}`);
        const lines = generateExpressions({ n: argv.n, seed: seedOf(argv.seed), dMin, dMax, trueOnly: argv['true-only'], unique: argv.unique });
        process.stdout.write(lines.map((line) => `${line}\n`).join(''));
      },
    )
    .command(
      'score <file>',
      'Measure a file of expressions (one a line, blank lines skipped): syntactic and semantic correctness, ' +
        `Levenshtein diversity, unique count, mean length and depth. Lines that are not text (NUL bytes, invalid UTF-8, over ${MAX_LINE_BYTES} bytes) are counted, not scored`,
      (y) =>
        metricChoice(tableFormats(y, 'the metrics as one object on one line', 'a header of metric names and one row of values'))
          .positional('file', {
            type: 'string',
            demandOption: true,
            describe: "Path of the file, '-' for stdin, or else a node id of the lock or an object's hash (its expression column)",
            // yargs-parser reads a lone '-' as an empty string; no real path is empty.
            coerce: (file: string) => (file === '' ? '-' : file),
          })
          .option('store', { type: 'string', describe: 'the store of an object (default $PIPELINE_STORE or ./artifacts)' })
          .option('lock', { type: 'string', default: 'pipeline.lock', describe: 'the lock naming a node' })
          .option('lines', {
            type: 'boolean',
            default: false,
            describe: 'Also print one JSON line per input line with its verdict (and error position and reason)',
          })
          .example('$0 score samples.txt --json', 'Metrics of a sample file as JSON')
          .example('$0 score sample/cycle=full_synthetic/seed=1/gen=5', 'Metrics of S_5 of a chain, from the store'),
      async (argv) => {
        const fromStore = argv.file !== '-' && !existsSync(argv.file) && STORE_TARGET.test(argv.file);
        const { lines, unreadable } = fromStore ? await objectLines(argv.file, argv.store, argv.lock) : await readLines(argv.file);
        const name = argv.file === '-' ? 'stdin' : argv.file;
        const numbered = lines.filter(({ text }) => text.trim() !== '');
        if (unreadable.length) {
          const total = lines.length + unreadable.length;
          const what = `${unreadable.length} of ${total} lines could not be read (${describeUnreadable(unreadable)})`;
          if (numbered.length === 0) throw new Error(`${name} is not text: ${what}; nothing is left to score`);
          const mostly = unreadable.length > total / 2 ? 'is not text' : 'is not all text';
          console.error(`warning: ${name} ${mostly}: ${what}; the other ${numbered.length} non-blank lines are scored`);
        }
        if (argv.lines) {
          const verdicts = [
            ...numbered.map(({ line, text }) => ({ line, text, ...checkExpression(text) })),
            ...unreadable.map(({ line, reason }) => ({ line, unreadable: reason })),
          ];
          for (const verdict of verdicts.sort((a, b) => a.line - b.line)) console.log(JSON.stringify(verdict));
        }
        const summary = summarizeExpressions(numbered.map(({ text }) => text));
        const { scoreReport } = await import('../experiment/score.ts');
        console.log(scoreReport(summary, unreadable.length, { format: formatOf(argv), metrics: argv.metric, all: argv.all }));
      },
    );
}

/** "1-5" or "3" to [min, max]; the error names the flag. */
function parseDepth(text: string): [number, number] {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const dMin = match ? Number(match[1]) : NaN;
  const dMax = match ? Number(match[2] ?? match[1]) : NaN;
  if (!(dMin >= 1 && dMin <= dMax && dMax <= MAX_GENERATED_DEPTH)) {
    throw new Error(`--depth must be "MIN-MAX" or "D" with 1 <= MIN <= MAX <= ${MAX_GENERATED_DEPTH}, got "${text}"`);
  }
  return [dMin, dMax];
}

/** A seed that looks like an integer is that number (so `--seed 1` equals seed 1 in code), else the string. */
function seedOf(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** A node id (`sample/cycle=balanced/seed=1/gen=5`) or a hash prefix; any other missing path is a missing file. */
const STORE_TARGET = /^([\w-]+(\/[\w.-]+=[^/]*)+|[0-9a-f]{4,16})$/;

/** The expressions of a store object (a node's output with an expression column), numbered as lines. */
async function objectLines(target: string, storeDir: string | undefined, lockPath: string): Promise<TextLines> {
  const [{ Store, storeRoot }, { resolveTarget }, { expressionsOf }] = await Promise.all([
    import('../engine/store/store.ts'), import('../engine/store/targets.ts'), import('../stages/dataset.ts'),
  ]);
  const store = new Store(storeRoot(storeDir), { create: false });
  if (!store.exists) throw new Error(`no such file: ${target} (nor an object: no store at ${store.root})`);
  const { objects } = resolveTarget(store, lockPath, target);
  const tables = await Promise.all(Object.entries(objects).map(async ([name, hash]) => ({ name, table: await store.getObject(hash) })));
  const found = tables.find(({ table }) => table.getChild('expression'));
  if (!found) throw new Error(`${target} holds no expression column (outputs: ${tables.map((t) => t.name).join(', ')})`);
  return { lines: expressionsOf(found.table).map((text, i) => ({ line: i + 1, text })), unreadable: [] };
}

async function readLines(file: string): Promise<TextLines> {
  try {
    return await readTextLines(file === '-' ? process.stdin : createReadStream(file));
  } catch (error) {
    // Other I/O errors (EACCES, EIO) reach the top level, which names the path and what to do.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such file: ${file}`);
    throw error;
  }
}
