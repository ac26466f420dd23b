/**
 * Commands for a task's data on their own: draw real examples, score a file of lines (or the lines of a store
 * object: a node's samples or dataset) with the task-independent metrics and the task's own.
 */
import { createReadStream, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Argv } from 'yargs';
import { summarizeLines } from '../metrics/summary.ts';
import { readTask, type TaskSection } from '../tasks/registry.ts';
import type { LoadedTask, Task } from '../tasks/task.ts';
import { formatOf, metricChoice, tableFormats } from './options.ts';
import { describeUnreadable, MAX_LINE_BYTES, readTextLines, type TextLines } from './text-lines.ts';

const TASK_OPTION = {
  type: 'string',
  default: 'logic',
  describe: "The task: its name, or its params.yaml section as YAML/JSON ('{name: logic, depth_min: 1, depth_max: 3}')",
} as const;

export function registerLanguageCommands(cli: Argv): Argv {
  return cli
    .command(
      'gen',
      "Draw a task's real examples (D_0's kind: for logic, distinct expressions that evaluate to True), one a line",
      (y) =>
        y
          .option('n', { type: 'number', default: 1000, describe: 'How many examples' })
          .option('seed', { type: 'number', default: 1, describe: 'Random seed' })
          .option('task', TASK_OPTION)
          .example('$0 gen --n 1000 --seed 1', 'Real Boolean expressions like those of D_0')
          .example("$0 gen --task '{name: logic, depth_min: 2, depth_max: 4}'", 'Deeper ones'),
      async (argv) => {
        if (!Number.isInteger(argv.n) || argv.n < 0)
          throw new Error(`--n must be a non-negative integer, got ${argv.n}`);
        if (!Number.isInteger(argv.seed)) throw new Error(`--seed must be an integer, got ${argv.seed}`);
        const { loaded } = await taskOption(argv.task);
        const lines = loaded.realRows({ n: argv.n, seed: argv.seed });
        process.stdout.write(lines.map((line) => `${line}\n`).join(''));
      },
    )
    .command(
      'score <file>',
      "Measure a file of a task's lines (one a line, blank lines skipped): count, Levenshtein diversity, unique count, " +
        `mean length, and the task's own metrics (for logic: syntactic and semantic correctness, mean depth). Lines that are not text (NUL bytes, invalid UTF-8, over ${MAX_LINE_BYTES} bytes) are counted, not scored`,
      (y) =>
        metricChoice(
          tableFormats(y, 'the metrics as one object on one line', 'a header of metric names and one row of values'),
        )
          .positional('file', {
            type: 'string',
            demandOption: true,
            describe:
              "Path of the file, '-' for stdin, or else a node id of the lock or an object's hash (its expression column)",
            // yargs-parser reads a lone '-' as an empty string; no real path is empty.
            coerce: (file: string) => (file === '' ? '-' : file),
          })
          .option('task', TASK_OPTION)
          .option('store', {
            type: 'string',
            describe: 'the store of an object (default $PIPELINE_STORE or ./artifacts)',
          })
          .option('lock', { type: 'string', default: 'pipeline.lock', describe: 'the lock naming a node' })
          .option('lines', {
            type: 'boolean',
            default: false,
            describe:
              "Also print one JSON line per input line with the task's judgement (for logic: error position and reason)",
          })
          .example('$0 score samples.txt --json', 'Metrics of a sample file as JSON')
          .example('$0 score sample/cycle=full_synthetic/seed=1/gen=5', 'Metrics of S_5 of a chain, from the store'),
      async (argv) => {
        const { task, loaded } = await taskOption(argv.task);
        const judge = argv.lines ? task.judge : undefined;
        if (argv.lines && !judge)
          throw new Error(`--lines prints the task's judgement, and task '${task.name}' has no judge`);
        const fromStore = argv.file !== '-' && !existsSync(argv.file) && STORE_TARGET.test(argv.file);
        const { lines, unreadable } = fromStore
          ? await objectLines(argv.file, argv.store, argv.lock)
          : await readLines(argv.file);
        const name = argv.file === '-' ? 'stdin' : argv.file;
        const numbered = lines.filter(({ text }) => text.trim() !== '');
        if (unreadable.length) {
          const total = lines.length + unreadable.length;
          const what = `${unreadable.length} of ${total} lines could not be read (${describeUnreadable(unreadable)})`;
          if (numbered.length === 0) throw new Error(`${name} is not text: ${what}; nothing is left to score`);
          const mostly = unreadable.length > total / 2 ? 'is not text' : 'is not all text';
          console.error(`warning: ${name} ${mostly}: ${what}; the other ${numbered.length} non-blank lines are scored`);
        }
        if (judge) {
          const verdicts = [
            ...numbered.map(({ line, text }) => ({ line, text, ...judge(text) })),
            ...unreadable.map(({ line, reason }) => ({ line, unreadable: reason })),
          ];
          for (const verdict of verdicts.sort((a, b) => a.line - b.line)) console.log(JSON.stringify(verdict));
        }
        const texts = numbered.map(({ text }) => text);
        const { scoreReport } = await import('../experiment/score.ts');
        const report = scoreReport(
          summarizeLines(texts, loaded.tokenizer),
          loaded.summarize(texts),
          loaded.metricNames,
          unreadable.length,
          {
            format: formatOf(argv),
            metrics: argv.metric,
            all: argv.all,
          },
        );
        console.log(report);
      },
    );
}

/** --task: a task's name, or its params.yaml section as YAML; its options checked by the task's schema. */
async function taskOption(text: string): Promise<{ task: Task<unknown>; loaded: LoadedTask }> {
  const value: unknown = /^[\w-]+$/.test(text) ? { name: text } : parseYaml(text);
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof (value as { name?: unknown }).name !== 'string'
  ) {
    throw new Error(
      `--task must be a task's name or a YAML mapping of its name and options, got ${JSON.stringify(text)}`,
    );
  }
  const { task, options } = readTask(value as TaskSection);
  return { task, loaded: await task.load(options) };
}

/** A node id (`sample/cycle=balanced/seed=1/gen=5`) or a hash prefix; any other missing path is a missing file. */
const STORE_TARGET = /^([\w-]+(\/[\w.-]+=[^/]*)+|[0-9a-f]{4,16})$/;

/** The expressions of a store object (a node's output with an expression column), numbered as lines. */
async function objectLines(target: string, storeDir: string | undefined, lockPath: string): Promise<TextLines> {
  const [{ Store, storeRoot }, { resolveTarget }, { expressionsOf }] = await Promise.all([
    import('../engine/store/store.ts'),
    import('../engine/store/targets.ts'),
    import('../stages/dataset.ts'),
  ]);
  const store = new Store(storeRoot(storeDir), { create: false });
  if (!store.exists) throw new Error(`no such file: ${target} (nor an object: no store at ${store.root})`);
  const { objects } = resolveTarget(store, lockPath, target);
  const tables = await Promise.all(
    Object.entries(objects).map(async ([name, hash]) => ({ name, table: await store.getObject(hash) })),
  );
  const found = tables.find(({ table }) => table.getChild('expression'));
  if (!found)
    throw new Error(`${target} holds no expression column (outputs: ${tables.map((t) => t.name).join(', ')})`);
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
