/**
 * The flags every command that prints metrics takes, declared once: `score`, `metrics show`, `metrics change`,
 * `metrics diff` and `exp show` choose metrics with `--metric` and `--all` and print text, `--md`, `--csv` or `--json`.
 */
import type { Argv } from 'yargs';
import type { ShowFormat } from '../experiment/metrics-show.ts';

/** --json, --csv and --md; each command says what its JSON and CSV hold. */
export const tableFormats = <T>(y: Argv<T>, json: string, csv: string) =>
  y
    .option('json', { type: 'boolean', describe: `JSON: ${json}` })
    .option('csv', { type: 'boolean', describe: `CSV: ${csv}` })
    .option('md', { type: 'boolean', describe: 'a Markdown table' })
    .conflicts({ json: ['csv', 'md'], csv: 'md' });

export const formatOf = (args: { json?: boolean; csv?: boolean; md?: boolean }): ShowFormat =>
  args.json ? 'json' : args.csv ? 'csv' : args.md ? 'md' : 'text';

/** --metric and --all, with the default every one of these commands shares (experiment/metrics-show.ts chooseMetrics). */
export const metricChoice = <T>(y: Argv<T>) =>
  y
    .option('metric', {
      type: 'string',
      array: true,
      describe: 'only these metrics (repeatable), by short name: semantic, diversity, … (samples.semantic also works)',
    })
    .option('all', {
      type: 'boolean',
      default: false,
      describe: 'every metric (default: semantic, syntactic, diversity, unique, copied; JSON and CSV: every metric)',
    });
