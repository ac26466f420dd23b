/**
 * `metrics change`: per series, each metric at its first and last generation and the change between them, the mean
 * over seeds of last − first with its 95% t-interval (experiment/change.ts), as text, Markdown, CSV or JSON.
 */
import type { LockFile } from '../engine/store/lock-file.ts';
import { type ChangeRow, type MetricChange, seriesChanges } from './change.ts';
import { readTable, type ShowOptions, shortName } from './metrics-show.ts';
import { INTERVAL_NAME } from './seeds.ts';
import { formatCsv, formatDelta, formatMarkdown, formatTable, formatValue, placeColumns } from './text-table.ts';

export type ChangeOptions = Pick<ShowOptions, 'format' | 'metrics' | 'all' | 'label'>;

const generations = (row: ChangeRow) => `${row.firstGeneration}→${row.lastGeneration}`;
const seedsUsed = (row: ChangeRow, change: MetricChange) => `${change.seeds.length}/${row.seeds.length}`;

function interval(change: MetricChange): string {
  if (!change.change) return '';
  const { ci95 } = change.change;
  return ci95 ? `[${formatDelta(ci95.low)}, ${formatDelta(ci95.high)}]` : 'one seed';
}

function humanTable(rows: readonly ChangeRow[], metrics: readonly string[]) {
  const { header, cells } = placeColumns(rows, false, false);
  return {
    header: [
      ...header,
      'gens',
      ...metrics.flatMap((m) => ['first', 'last', 'Δ', '95% CI', 'seeds'].map((c) => `${shortName(m)} ${c}`)),
    ],
    rows: rows.map((r) => [
      ...cells(r),
      generations(r),
      ...metrics.flatMap((m) => {
        const change = r.metrics[m]!;
        return [
          formatValue(change.first?.mean),
          formatValue(change.last?.mean),
          change.change ? formatDelta(change.change.mean) : change.none!,
          interval(change),
          seedsUsed(r, change),
        ];
      }),
    ]),
  };
}

function csvTable(rows: readonly ChangeRow[], metrics: readonly string[]): string {
  const { header, cells } = placeColumns(rows, false, false);
  const num = (x: number | undefined) => (x === undefined ? '' : String(x));
  return formatCsv(
    [
      ...header.map((h) => (h === 'λ' ? 'lambda' : h)),
      'first_generation',
      'last_generation',
      'seeds',
      ...metrics.flatMap((m) =>
        ['first', 'last', 'delta', 'delta.ci95_low', 'delta.ci95_high', 'seeds'].map((c) => `${m}.${c}`),
      ),
    ],
    rows.map((r) => [
      ...cells(r),
      String(r.firstGeneration),
      String(r.lastGeneration),
      String(r.seeds.length),
      ...metrics.flatMap((m) => {
        const { first, last, change, seeds } = r.metrics[m]!;
        return [
          num(first?.mean),
          num(last?.mean),
          num(change?.mean),
          num(change?.ci95?.low),
          num(change?.ci95?.high),
          String(seeds.length),
        ];
      }),
    ]),
  );
}

const LEGEND = `Δ: mean over seeds of (last − first generation), paired by seed, with its ${INTERVAL_NAME}; first and last over the same seeds; seeds: used of the series' (a seed missing either end is left out)`;

export function metricsChange(lock: LockFile, options: ChangeOptions): string {
  const read = readTable(lock, options);
  if ('output' in read) return read.output;
  const { points, metrics, note } = read;
  const rows = seriesChanges(points, metrics);
  switch (options.format) {
    case 'json':
      return JSON.stringify({ interval: INTERVAL_NAME, metrics, rows, ...(note && { missing: note }) }, null, 2);
    case 'csv':
      return csvTable(rows, metrics);
    case 'md':
    case 'text': {
      const { header, rows: cells } = humanTable(rows, metrics);
      const table = options.format === 'md' ? formatMarkdown(header, cells) : formatTable(header, cells);
      return [
        table,
        ...[LEGEND, note].filter(Boolean).map((line) => (options.format === 'md' ? `\n${line}` : line)),
      ].join('\n');
    }
  }
}
