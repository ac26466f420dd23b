/** Commands for the expression language on its own: generate expressions, score a file of them. */
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { checkExpression } from '../logic/check.ts';
import { generateExpressions, MAX_GENERATED_DEPTH } from '../logic/generator.ts';
import { summarizeExpressions, type ExpressionSetSummary } from '../metrics/summary.ts';

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
        'Levenshtein diversity, unique count, mean length and depth',
      (y) =>
        y
          .positional('file', {
            type: 'string',
            demandOption: true,
            describe: "Path of the file, or '-' for stdin",
            // yargs-parser reads a lone '-' as an empty string; no real path is empty.
            coerce: (file: string) => (file === '' ? '-' : file),
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print the metrics as one JSON object' })
          .option('lines', {
            type: 'boolean',
            default: false,
            describe: 'Also print one JSON line per input line with its verdict (and error position and reason)',
          })
          .example('$0 score samples.txt --json', 'Metrics of a sample file as JSON'),
      async (argv) => {
        const numbered = (await readLines(argv.file))
          .map((text, i) => ({ line: i + 1, text }))
          .filter(({ text }) => text.trim() !== '');
        if (argv.lines) {
          for (const { line, text } of numbered) console.log(JSON.stringify({ line, text, ...checkExpression(text) }));
        }
        const summary = summarizeExpressions(numbered.map(({ text }) => text));
        console.log(argv.json ? JSON.stringify(summary) : formatSummary(summary));
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

async function readLines(file: string): Promise<string[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(error as Error).message}`);
  }
  return text.split(/\r?\n/);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function formatSummary(s: ExpressionSetSummary): string {
  const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const rows: [string, string][] = [
    ['expressions', String(s.count)],
    ['syntactic', percent(s.syntactic)],
    ['semantic (True)', percent(s.semantic)],
    ['diversity', s.diversity.toFixed(4)],
    ['unique', String(s.unique)],
    ['mean length', `${s.meanLength.toFixed(2)} tokens`],
    ['mean depth', s.meanDepth === null ? 'n/a (nothing parses)' : s.meanDepth.toFixed(2)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
