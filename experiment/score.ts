/**
 * `score`: a file of expressions measured under the names and units `metrics show` uses (shares as fractions 0..1,
 * snake_case short names), chosen and printed with the same flags (cli/options.ts).
 */
import type { ExpressionSetSummary } from '../metrics/summary.ts';
import { chooseMetrics, shortName, type ShowFormat } from './metrics-show.ts';
import { formatCsv, formatMarkdown, formatTable, formatValue } from './text-table.ts';

export interface ScoreOptions {
  format: ShowFormat;
  metrics?: readonly string[];
  all?: boolean;
}

/** A summary as eval metrics (stages/eval.ts records S_t's under these names), plus the diversity estimate's error. */
function asMetrics(s: ExpressionSetSummary): Record<string, number | null> {
  return {
    'samples.count': s.count,
    'samples.semantic': s.semantic,
    'samples.syntactic': s.syntactic,
    'samples.diversity': s.diversity,
    'samples.diversity_stderr': s.diversityStderr,
    'samples.unique': s.unique,
    'samples.mean_length': s.meanLength,
    'samples.mean_depth': s.meanDepth,
  };
}

const UNITS = 'semantic (True), syntactic (parses): shares of the lines, 0..1\n' +
  'diversity: mean normalised edit distance between two lines, 0..1; mean_length: tokens';

export function scoreReport(summary: ExpressionSetSummary, unreadable: number, options: ScoreOptions): string {
  const all = asMetrics(summary);
  const known = Object.keys(all);
  // count always: it says what the shares are of. Headline metrics a file cannot have (copied needs D_t) are left out.
  const chosen = chooseMetrics(known, options, 'a scored file').filter((m) => m in all);
  const names = [...new Set(['samples.count', ...chosen])];
  const values: Array<[string, number | null]> = [...names.map((m): [string, number | null] => [shortName(m), all[m]!]), ['unreadable', unreadable]];
  if (options.format === 'json') return JSON.stringify(Object.fromEntries(values));
  if (options.format === 'csv') return formatCsv(values.map(([name]) => name), [values.map(([, v]) => (v === null ? '' : String(v)))]);
  const rows = values.filter(([name, v]) => name !== 'unreadable' || v !== 0).map(([name, v]) => [name, v === null ? 'n/a (nothing parses)' : formatValue(v)]);
  return [(options.format === 'md' ? formatMarkdown : formatTable)(['metric', 'value'], rows), '', UNITS].join('\n');
}
