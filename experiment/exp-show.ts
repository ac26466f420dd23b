/**
 * `exp show`: runs side by side. One row per lock and series (the chains of a lock that differ only in their seed)
 * or, with `chains`, per chain; the params that differ between the rows, read from what each lock records; and the
 * metrics at the row's last generation (the headline ones unless chosen), the mean over seeds with its 95% t-interval.
 */
import { noParams, type LockFile } from '../engine/store/lock-file.ts';
import { compareValues, evalPoints, metricNames, NO_VALUE, type EvalPoint } from './eval-points.ts';
import { cell, chooseMetrics, shortName, type ShowFormat } from './metrics-show.ts';
import { chainParams, withoutSeed } from './provenance.ts';
import { INTERVAL_NAME, seedStat, type SeedStat } from './seeds.ts';
import { formatCsv, formatMarkdown, formatTable } from './text-table.ts';

export interface NamedLock {
  label: string;
  lock: LockFile;
}

export interface ExpRow {
  lock: string;
  /** The chain, or with its seed left out, the series. */
  series: string;
  seeds: number[];
  /** The last generation any of its chains reached. */
  generation: number;
  /** The differing params' values; null where the lock records no params. */
  params: Record<string, unknown> | null;
  metrics: Record<string, SeedStat | null>;
}

export interface ExpTable {
  params: string[];
  metrics: string[];
  rows: ExpRow[];
  notes: string[];
}

export interface ExpOptions {
  /** One row per chain instead of per series. */
  chains?: boolean;
  /** A column to sort by: lock, series, gen, a param key or a metric (short name too); descending with `desc`. */
  sort?: string;
  desc?: boolean;
  /** Which metrics, as every reading command chooses them (metrics-show.ts chooseMetrics); default: the headline ones. */
  format?: ShowFormat;
  metrics?: readonly string[];
  all?: boolean;
}

/** Keys with one value across all the maps, with that value. */
function agreed(maps: readonly Record<string, unknown>[]): Record<string, unknown> {
  const [first, ...rest] = maps;
  return Object.fromEntries(
    Object.entries(first ?? {}).filter(([k, v]) =>
      rest.every((m) => k in m && JSON.stringify(m[k]) === JSON.stringify(v)),
    ),
  );
}

function rowsOf(
  { label, lock }: NamedLock,
  chains: boolean,
  chosen: readonly string[],
): Array<ExpRow & { all: Record<string, unknown> | null }> {
  const groups = new Map<string, EvalPoint[]>();
  for (const point of evalPoints(lock)) {
    const key = chains ? point.chain : withoutSeed(point.chain);
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return [...groups].map(([series, points]) => {
    const generation = Math.max(...points.map((p) => p.place.generation ?? 0));
    const last = points.filter((p) => (p.place.generation ?? 0) === generation);
    const metrics = Object.fromEntries(
      chosen.map((m) => {
        const values = last.map((p) => p.metrics[m]).filter((v): v is number => typeof v === 'number');
        return [m, values.length ? seedStat(values) : null];
      }),
    );
    const recorded = lock.params;
    const all = recorded ? agreed([...new Set(points.map((p) => p.chain))].map((c) => chainParams(recorded, c))) : null;
    // A series pools its seeds: the seeds column says how many, and the seed is no param of it.
    if (all && !chains) delete all.seed;
    const seeds = [...new Set(last.map((p) => p.place.seed).filter((s): s is number => s !== undefined))];
    return { lock: label, series, seeds, generation, params: null, metrics, all };
  });
}

function sortValue(row: ExpRow, column: string, chosen: readonly string[]): unknown {
  if (column === 'lock' || column === 'series') return row[column];
  if (column === 'gen') return row.generation;
  const metric = chosen.find((m) => m === column || shortName(m) === column);
  if (metric) return row.metrics[metric]?.mean;
  return row.params?.[column];
}

export function expTable(locks: readonly NamedLock[], options: ExpOptions = {}): ExpTable {
  const known = metricNames(locks.flatMap((l) => evalPoints(l.lock)));
  const chosen = chooseMetrics(
    known,
    { format: options.format ?? 'text', metrics: options.metrics, all: options.all },
    'the locks',
  );
  const full = locks.flatMap((l) => rowsOf(l, options.chains ?? false, chosen));
  const withParams = full.flatMap((r) => (r.all ? [r.all] : []));
  const keys = [...new Set(withParams.flatMap((p) => Object.keys(p)))].sort();
  const same = agreed(withParams);
  const params = keys.filter((k) => !(k in same));
  const rows: ExpRow[] = full.map(({ all, ...row }) => ({
    ...row,
    params: all && Object.fromEntries(params.map((k) => [k, all[k] ?? null])),
  }));
  const notes = locks.filter((l) => !l.lock.params).map((l) => noParams(l.lock, l.label));
  if (options.sort !== undefined) {
    const column = options.sort;
    const columns = ['lock', 'series', 'gen', ...params, ...chosen, ...chosen.map(shortName)];
    if (!columns.includes(column))
      throw new Error(`--sort ${column}: no such column; expected one of ${columns.join(', ')}`);
    // Rows without a value sort last either way.
    const sign = options.desc ? -1 : 1;
    rows.sort((a, b) => {
      const [x, y] = [sortValue(a, column, chosen), sortValue(b, column, chosen)];
      if (x === undefined || x === null) return y === undefined || y === null ? 0 : 1;
      if (y === undefined || y === null) return -1;
      return sign * compareValues(x, y);
    });
  }
  return { params, metrics: chosen, rows, notes };
}

const paramCell = (row: ExpRow, key: string) => {
  if (!row.params) return NO_VALUE;
  const value = row.params[key];
  return typeof value === 'string' ? value : JSON.stringify(value);
};

export function formatExp(table: ExpTable, format: 'text' | 'md' | 'csv' | 'json'): string {
  const { params, metrics, rows, notes } = table;
  if (format === 'json') return JSON.stringify({ interval: INTERVAL_NAME, ...table }, null, 2);
  const place = (r: ExpRow) => [
    r.lock,
    r.series,
    String(r.seeds.length),
    String(r.generation),
    ...params.map((k) => paramCell(r, k)),
  ];
  const header = ['lock', 'series', 'seeds', 'gen', ...params];
  if (format === 'csv') {
    const num = (x: number | undefined) => (x === undefined ? '' : String(x));
    return formatCsv(
      [...header, ...metrics.flatMap((m) => [m, `${m}.ci95_low`, `${m}.ci95_high`])],
      rows.map((r) => [
        ...place(r),
        ...metrics.flatMap((m) => [
          num(r.metrics[m]?.mean),
          num(r.metrics[m]?.ci95?.low),
          num(r.metrics[m]?.ci95?.high),
        ]),
      ]),
    );
  }
  const cells = rows.map((r) => [...place(r), ...metrics.map((m) => cell(r.metrics[m]!))]);
  const head = [...header, ...metrics.map(shortName)];
  const text = format === 'md' ? formatMarkdown(head, cells) : formatTable(head, cells);
  const legend = `metrics at each row's last generation; with several seeds mean±half-width of the ${INTERVAL_NAME}`;
  return [text, '', legend, ...notes.map((n) => `${NO_VALUE}: ${n}`)].join('\n');
}
