/**
 * `metrics show`: the eval metrics of a lock, one row per series and generation with the mean over seeds and its
 * 95% t-interval (experiment/seeds.ts), or one row per node with --per-seed. Text and Markdown show the headline
 * metrics unless asked for others, so that the default fits 100 columns (the two perplexities, where recorded, widen
 * it to about 130); JSON and CSV carry every metric.
 */
import type { LockFile } from '../engine/store/lock-file.ts';
import {
  defaultMetrics,
  evalPoints,
  metricNames,
  NO_VALUE,
  resolveMetricNames,
  withoutEval,
  type EvalPoint,
} from './eval-points.ts';
import { INTERVAL_NAME, groupStat, seedGroups, type SeedStat, type SeriesPlace } from './seeds.ts';
import { formatCsv, formatMarkdown, formatTable, formatValue, placeColumns } from './text-table.ts';

/** What a reader of the paper looks at first: correctness, diversity, collapse, memorisation. */
export type ShowFormat = 'text' | 'md' | 'csv' | 'json';

export interface ShowOptions {
  format: ShowFormat;
  /** Metric names (or their part after `samples.`); default: the headline metrics, every metric for JSON and CSV. */
  metrics?: readonly string[];
  all?: boolean;
  /** One row per eval node instead of per series and generation. */
  perSeed?: boolean;
  /** Names the lock in messages. */
  label: string;
}

export interface ShowRow extends SeriesPlace {
  seed?: number;
  /** The seeds behind the row, in order. */
  seeds: number[];
  /** null: no seed recorded this metric. */
  metrics: Record<string, SeedStat | null>;
}

/**
 * The metrics a command shows, the same in `score`, `metrics show`, `metrics diff` and `exp show`: those named by
 * `--metric` (`semantic` is `samples.semantic`), every one with `--all` or for JSON and CSV (read by programs), else
 * the headline ones (eval-points.ts defaultMetrics: the task's own that were recorded, the task-independent ones, and
 * the perplexities where recorded). An unknown name is an error listing the known.
 */
export function chooseMetrics(
  known: readonly string[],
  options: Pick<ShowOptions, 'format' | 'metrics' | 'all'>,
  where: string,
): string[] {
  if (options.metrics?.length) return resolveMetricNames(options.metrics, known, where);
  if (options.all || options.format === 'json' || options.format === 'csv') return [...known];
  return defaultMetrics(known);
}

function showRows(points: readonly EvalPoint[], metrics: readonly string[], perSeed = false): ShowRow[] {
  const groups = seedGroups(points);
  const split = perSeed
    ? groups.flatMap((g) =>
        g.points.map((p) => ({ ...g, seeds: p.place.seed === undefined ? [] : [p.place.seed], points: [p] })),
      )
    : groups;
  return split.map((group) => ({
    ...group.place,
    ...(perSeed && { seed: group.points[0]!.place.seed }),
    seeds: group.seeds,
    metrics: Object.fromEntries(metrics.map((m) => [m, groupStat(group, m) ?? null])),
  }));
}

/** A text cell: the value for one seed; mean±half-width of the interval, a little shorter, for several. */
export function cell(stat: SeedStat | null): string {
  if (!stat) return NO_VALUE;
  if (!stat.ci95) return formatValue(stat.mean);
  const digits = Math.abs(stat.mean) >= 10 ? 1 : 3;
  return `${stat.mean.toFixed(digits)}±${((stat.ci95.high - stat.ci95.low) / 2).toFixed(digits)}`;
}

export const shortName = (metric: string) => metric.replace(/^samples\./, '');

function humanTable(rows: readonly ShowRow[], metrics: readonly string[], perSeed: boolean) {
  const { header, cells } = placeColumns(rows, perSeed);
  return {
    header: [...header, ...(perSeed ? [] : ['seeds']), ...metrics.map(shortName)],
    rows: rows.map((r) => [
      ...cells(r),
      ...(perSeed ? [] : [String(r.seeds.length)]),
      ...metrics.map((m) => cell(r.metrics[m]!)),
    ]),
  };
}

function csvTable(rows: readonly ShowRow[], metrics: readonly string[], perSeed: boolean): string {
  const { header, cells } = placeColumns(rows, perSeed);
  const names = header.map((h) => ({ λ: 'lambda', gen: 'generation' })[h] ?? h);
  const num = (x: number | undefined) => (x === undefined ? '' : String(x));
  return formatCsv(
    [
      ...names,
      ...(perSeed ? [] : ['seeds']),
      ...metrics.flatMap((m) => (perSeed ? [m] : [m, `${m}.ci95_low`, `${m}.ci95_high`])),
    ],
    rows.map((r) => [
      ...cells(r),
      ...(perSeed ? [] : [String(r.seeds.length)]),
      ...metrics.flatMap((m) => {
        const stat = r.metrics[m];
        return perSeed ? [num(stat?.mean)] : [num(stat?.mean), num(stat?.ci95?.low), num(stat?.ci95?.high)];
      }),
    ]),
  );
}

/** What a table of these metrics lacks: those no eval node recorded, or "" when none. */
export function missingNote(points: readonly EvalPoint[], metrics: readonly string[]): string {
  const recorded = new Set(metricNames(points));
  const missing = metrics.filter((m) => !recorded.has(m));
  return missing.length
    ? `${NO_VALUE}: ${missing.join(', ')} not recorded in this lock (made by an older version? rerun repro)`
    : '';
}

/**
 * What a table command reads of a lock: its eval points, the metrics it shows and the note on those it lacks; or,
 * for a lock without eval nodes, the command's whole output, saying what the lock holds instead.
 */
export function readTable(
  lock: LockFile,
  options: Pick<ShowOptions, 'format' | 'metrics' | 'all' | 'label'>,
): { points: EvalPoint[]; metrics: string[]; note: string } | { output: string } {
  const points = evalPoints(lock);
  if (points.length === 0) {
    const missing = withoutEval(lock, options.label);
    return { output: options.format === 'json' ? JSON.stringify({ rows: [], missing }, null, 2) : missing };
  }
  const metrics = chooseMetrics(metricNames(points), options, 'the lock');
  return { points, metrics, note: missingNote(points, metrics) };
}

export function showMetrics(lock: LockFile, options: ShowOptions): string {
  const read = readTable(lock, options);
  if ('output' in read) return read.output;
  const { points, metrics, note } = read;
  const perSeed = options.perSeed ?? false;
  const rows = showRows(points, metrics, perSeed);
  switch (options.format) {
    case 'json':
      return JSON.stringify({ interval: INTERVAL_NAME, metrics, rows, ...(note && { missing: note }) }, null, 2);
    case 'csv':
      return csvTable(rows, metrics, perSeed);
    case 'md':
    case 'text': {
      const { header, rows: cells } = humanTable(rows, metrics, perSeed);
      const table = options.format === 'md' ? formatMarkdown(header, cells) : formatTable(header, cells);
      const several = rows.some((r) => r.seeds.length > 1) && !perSeed;
      const legend = several ? `with several seeds: mean±half-width of the ${INTERVAL_NAME} over seeds` : '';
      return [
        table,
        ...[legend, note].filter(Boolean).map((line) => (options.format === 'md' ? `\n${line}` : line)),
      ].join('\n');
    }
  }
}
