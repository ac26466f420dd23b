/**
 * `score`: a file of a task's lines measured under the names and units `metrics show` uses (shares as fractions 0..1,
 * snake_case short names), chosen and printed with the same flags (cli/options.ts).
 */
import type { SetSummary } from '../metrics/summary.ts';
import { chooseMetrics, shortName, type ShowFormat } from './metrics-show.ts';
import { formatCsv, formatMarkdown, formatTable, formatValue } from './text-table.ts';

export interface ScoreOptions {
  format: ShowFormat;
  metrics?: readonly string[];
  all?: boolean;
}

/**
 * A summary and the task's own figures as eval metrics (stages/eval.ts records S_t's under these names), plus the
 * diversity estimate's error. A figure the set lacks (NaN: a mean depth where nothing parses) is null.
 */
function asMetrics(
  s: SetSummary,
  own: Record<string, number>,
  ownNames: readonly string[],
): Record<string, number | null> {
  const figure = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    'samples.count': s.count,
    ...Object.fromEntries(ownNames.map((name) => [`samples.${name}`, figure(own[name])])),
    'samples.diversity': s.diversity,
    'samples.diversity_stderr': s.diversityStderr,
    'samples.unique': s.unique,
    'samples.mean_length': s.meanLength,
  };
}

const UNITS =
  "shares of the lines (the task's correctness and validity figures): 0..1\n" +
  'diversity: mean normalised edit distance between two lines, 0..1; mean_length: tokens';

export function scoreReport(
  summary: SetSummary,
  own: Record<string, number>,
  ownNames: readonly string[],
  unreadable: number,
  options: ScoreOptions,
): string {
  const all = asMetrics(summary, own, ownNames);
  const known = Object.keys(all);
  // count always: it says what the shares are of. Headline metrics a file cannot have (copied needs D_t) are left out.
  const chosen = chooseMetrics(known, options, 'a scored file').filter((m) => m in all);
  const names = [...new Set(['samples.count', ...chosen])];
  const values: Array<[string, number | null]> = [
    ...names.map((m): [string, number | null] => [shortName(m), all[m]!]),
    ['unreadable', unreadable],
  ];
  if (options.format === 'json') return JSON.stringify(Object.fromEntries(values));
  if (options.format === 'csv')
    return formatCsv(
      values.map(([name]) => name),
      [values.map(([, v]) => (v === null ? '' : String(v)))],
    );
  const rows = values
    .filter(([name, v]) => name !== 'unreadable' || v !== 0)
    .map(([name, v]) => [name, v === null ? 'n/a' : formatValue(v)]);
  return [(options.format === 'md' ? formatMarkdown : formatTable)(['metric', 'value'], rows), '', UNITS].join('\n');
}
