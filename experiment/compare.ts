/**
 * Versions of an experiment side by side: the params their locks record key by key, pipeline.lock node by node and metric by metric,
 * and, where a sweep has several seeds, series by series: whether a change of a metric's seed mean lies outside
 * the seeds' spread (Welch's 95% t-interval of the difference excludes 0). Pure functions of their arguments.
 */
import type { LockFile } from '../engine/store/lock-file.ts';
import {
  compareNames,
  evalPoints,
  KNOWN_METRICS,
  metricNames,
  NO_VALUE,
  NOT_RUN,
  sortByPlace,
  type Cell,
  type EvalPoint,
  type Place,
} from './eval-points.ts';
import { differenceInterval, groupKey, groupStat, seedGroups, type SeedStat, type SeriesPlace } from './seeds.ts';
import type { NamedLock } from './exp-show.ts';
import { chooseMetrics, shortName, type ShowFormat } from './metrics-show.ts';
import {
  formatCsv,
  formatDelta,
  formatMarkdown,
  formatTable,
  formatValue,
  placeColumns,
  type TableFormat,
} from './text-table.ts';

// ---------------------------------------------------------------------------------------------------------------
// params diff

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nested mappings to dotted keys; lists and scalars are leaves (a sweep list is one value). */
export function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const dotted = prefix + key;
    if (isPlainObject(v) && Object.keys(v).length > 0) Object.assign(out, flatten(v, `${dotted}.`));
    else out[dotted] = v;
  }
  return out;
}

export type Change = 'changed' | 'added' | 'removed' | 'same';
export interface ParamRow {
  key: string;
  /** Absent when the key is not in that version. */
  old?: unknown;
  new?: unknown;
  change: Change;
}

export function diffParams(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  options: { all?: boolean } = {},
): ParamRow[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const rows = keys.map((key): ParamRow => {
    const inA = key in fa;
    const inB = key in fb;
    const change: Change = !inA
      ? 'added'
      : !inB
        ? 'removed'
        : JSON.stringify(fa[key]) === JSON.stringify(fb[key])
          ? 'same'
          : 'changed';
    return { key, ...(inA && { old: fa[key] }), ...(inB && { new: fb[key] }), change };
  });
  return options.all ? rows : rows.filter((r) => r.change !== 'same');
}

// ---------------------------------------------------------------------------------------------------------------
// metrics diff

export interface MetricRow extends Place {
  node: string;
  metric: string;
  old: Cell;
  new: Cell;
  /** new − old when both are numbers, else null. */
  delta: number | null;
}

/** A point's value of a metric: "not run" without the point, "n/a" when it did not record the metric. */
function cellOf(point: EvalPoint | undefined, metric: string): Cell {
  if (!point) return NOT_RUN;
  return point.metrics[metric] ?? NO_VALUE;
}

/**
 * Eval metrics of two locks matched by chain and generation (so a lock whose generation 0 is named per chain, from
 * before shared nodes were named by what they read, still matches): one row per point and metric, changed ones
 * only unless `all`. A point on one side only is "not run" on the other; `metrics` restricts the metric names.
 */
export function diffMetrics(
  lockA: LockFile,
  lockB: LockFile,
  options: { all?: boolean; metrics?: readonly string[] } = {},
): MetricRow[] {
  const at = (p: EvalPoint) => `${p.chain}\n${p.place.generation}`;
  const a = new Map(evalPoints(lockA).map((p) => [at(p), p]));
  const b = new Map(evalPoints(lockB).map((p) => [at(p), p]));
  const wanted = options.metrics?.length ? new Set(options.metrics) : undefined;
  const rows: MetricRow[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const pa = a.get(key);
    const pb = b.get(key);
    const point = (pb ?? pa)!;
    for (const metric of metricNames([pa, pb].filter((p) => p !== undefined))) {
      if (wanted && !wanted.has(metric)) continue;
      const old = cellOf(pa, metric);
      const now = cellOf(pb, metric);
      if (!options.all && old === now) continue;
      const delta = typeof old === 'number' && typeof now === 'number' ? now - old : null;
      rows.push({ ...point.place, node: point.node, metric, old, new: now, delta });
    }
  }
  return sortByPlace(
    rows,
    (r) => r,
    (x, y) => compareNames(KNOWN_METRICS, x.metric, y.metric),
  );
}

/** Where a change of a seed mean stands against the seeds' spread. */
export type Spread = 'outside seed spread' | 'within seed spread' | 'one seed';

export interface SeedMeanRow extends SeriesPlace {
  metric: string;
  old?: SeedStat;
  new?: SeedStat;
  /** mean(new) − mean(old). */
  delta: number;
  /** Welch's 95% t-interval of delta; absent when a side has a single seed. */
  ci95?: { low: number; high: number };
  spread: Spread;
}

/**
 * Per series, generation and metric present on both sides with a number: the seed means of the two versions and
 * whether their difference lies outside the seeds' spread. Changed means only unless `all`; series with a single
 * seed on both sides only when `all`, since for them the per-node rows already say everything.
 */
export function diffSeedMeans(
  lockA: LockFile,
  lockB: LockFile,
  options: { all?: boolean; metrics?: readonly string[] } = {},
): SeedMeanRow[] {
  const a = new Map(seedGroups(evalPoints(lockA)).map((g) => [groupKey(g.place), g]));
  const rows: SeedMeanRow[] = [];
  for (const gb of seedGroups(evalPoints(lockB))) {
    const ga = a.get(groupKey(gb.place));
    if (!ga) continue;
    for (const metric of metricNames([...ga.points, ...gb.points])) {
      if (options.metrics?.length && !options.metrics.includes(metric)) continue;
      const [old, now] = [groupStat(ga, metric), groupStat(gb, metric)];
      if (!old || !now) continue;
      const delta = now.mean - old.mean;
      const ci95 = differenceInterval(old, now);
      const spread: Spread = !ci95
        ? 'one seed'
        : ci95.low > 0 || ci95.high < 0
          ? 'outside seed spread'
          : 'within seed spread';
      if (!options.all && (delta === 0 || (old.n === 1 && now.n === 1))) continue;
      rows.push({ ...gb.place, metric, old, new: now, delta, ...(ci95 && { ci95 }), spread });
    }
  }
  return sortByPlace(
    rows,
    (r) => r,
    (x, y) => compareNames(KNOWN_METRICS, x.metric, y.metric),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Plain-text output

export function formatParamDiff(
  rows: readonly ParamRow[],
  labelA: string,
  labelB: string,
  table: TableFormat = formatTable,
): string {
  if (rows.length === 0) return `params: no differences between ${labelA} and ${labelB}`;
  // Params as written (0.5, not the metrics' 0.5000); strings bare, anything else as JSON.
  const show = (row: ParamRow, side: 'old' | 'new') => {
    const value = row[side];
    return !(side in row) ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
  };
  return table(
    ['key', labelA, labelB, 'change'],
    rows.map((r) => [r.key, show(r, 'old'), show(r, 'new'), r.change === 'same' ? '' : r.change]),
  );
}

export function formatMetricDiff(
  rows: readonly MetricRow[],
  labelA: string,
  labelB: string,
  format: TableFormat = formatTable,
): string {
  if (rows.length === 0) return `metrics: no differences between ${labelA} and ${labelB}`;
  const { header, cells } = placeColumns(rows);
  const table = format(
    [...header, 'metric', labelA, labelB, 'Δ'],
    rows.map((r) => [...cells(r), shortName(r.metric), formatValue(r.old), formatValue(r.new), formatDelta(r.delta)]),
  );
  const changed = rows.filter((r) => r.old !== r.new);
  const nodes = new Set(changed.map((r) => r.node)).size;
  return `${table}\n\n${changed.length} changed value(s) in ${nodes} eval node(s)`;
}

const mean = (stat: SeedStat | undefined) => (stat ? `${formatValue(stat.mean)} (${stat.n})` : '');

/** The seed means of two versions, Δ, the 95% interval of Δ and the verdict; '' when there is nothing to show. */
export function formatSeedMeanDiff(
  rows: readonly SeedMeanRow[],
  labelA: string,
  labelB: string,
  format: TableFormat = formatTable,
): string {
  if (rows.length === 0) return '';
  const { header, cells } = placeColumns(rows, false);
  const interval = (r: SeedMeanRow) => (r.ci95 ? `[${formatDelta(r.ci95.low)}, ${formatDelta(r.ci95.high)}]` : '');
  const table = format(
    [...header, 'metric', `${labelA} mean (seeds)`, `${labelB} mean (seeds)`, 'Δ', '95% CI of Δ', 'verdict'],
    rows.map((r) => [
      ...cells(r),
      shortName(r.metric),
      mean(r.old),
      mean(r.new),
      formatDelta(r.delta),
      interval(r),
      r.spread,
    ]),
  );
  const outside = rows.filter((r) => r.spread === 'outside seed spread').length;
  return `Seed means (Welch's 95% t-interval of the difference):\n${table}\n\n${outside} of ${rows.length} change(s) outside the seed spread`;
}

// ---------------------------------------------------------------------------------------------------------------
// metrics diff, the command

export interface MetricsDiffOptions {
  format: ShowFormat;
  /** `--metric` names; default as every reading command (experiment/metrics-show.ts chooseMetrics). */
  metrics?: readonly string[];
  all?: boolean;
  /** Also the values that did not change. */
  unchanged?: boolean;
}

/**
 * `metrics diff`: the params the two locks record that differ (or why there are none), then the eval metrics point
 * by point (old, new, Δ) and the seed means with their verdict. CSV holds the point rows only.
 */
export function metricsDiff(
  a: NamedLock,
  b: NamedLock,
  params: ParamRow[] | string,
  options: MetricsDiffOptions,
): string {
  const metrics = chooseMetrics(metricNames([...evalPoints(a.lock), ...evalPoints(b.lock)]), options, 'either lock');
  const chosen = { all: options.unchanged, metrics };
  const rows = diffMetrics(a.lock, b.lock, chosen);
  const seedMeans = diffSeedMeans(a.lock, b.lock, chosen);
  if (options.format === 'json')
    return JSON.stringify({ a: a.label, b: b.label, params, metrics, rows, seedMeans }, null, 2);
  if (options.format === 'csv') {
    const { header, cells } = placeColumns(rows);
    const names = header.map((h) => ({ λ: 'lambda', gen: 'generation' })[h] ?? h);
    return formatCsv(
      [...names, 'node', 'metric', 'old', 'new', 'delta'],
      rows.map((r) => [
        ...cells(r),
        r.node,
        r.metric,
        formatValue(r.old),
        formatValue(r.new),
        formatValue(r.delta ?? undefined),
      ]),
    );
  }
  const table = options.format === 'md' ? formatMarkdown : formatTable;
  const paramsText =
    typeof params === 'string' ? `params: ${params}` : formatParamDiff(params, a.label, b.label, table);
  return [
    paramsText,
    formatMetricDiff(rows, a.label, b.label, table),
    formatSeedMeanDiff(seedMeans, a.label, b.label, table),
  ]
    .filter(Boolean)
    .join('\n\n');
}
