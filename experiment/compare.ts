/**
 * Versions of an experiment side by side: read params.yaml / pipeline.lock from a git revision, a file or the
 * working tree, and compare them key by key (params) or node by node and metric by metric (eval metrics).
 * Everything here but `readVersion` is a pure function of its arguments.
 */
import { EVAL_METRICS } from '../stages/eval.ts';
import { CYCLES } from './params.ts';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------------------------
// The lock file and its eval nodes

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const lockSchema = z.object({
  version: z.literal(1),
  nodes: z.record(
    z.string(),
    z.object({
      stage: z.string(),
      key: z.string(),
      outputs: z.record(z.string(), z.string()).default({}),
      metrics: z.record(z.string(), z.union([scalar, z.null()])).default({}),
      tags: z.record(z.string(), scalar).default({}),
    }),
  ),
});
export type Lock = z.infer<typeof lockSchema>;
export type LockNode = Lock['nodes'][string];
export type Scalar = z.infer<typeof scalar>;

/** A metric value as shown: the recorded value, or why there is none. Never a made-up 0. */
export type Cell = Scalar | null;
export const NOT_RUN = 'not run';
/** The node ran but did not record this metric. */
export const NO_VALUE = 'n/a';

/** Cycles and eval metrics in the order the paper discusses them; unknown names sort after, alphabetically. */
const KNOWN_METRICS: readonly string[] = EVAL_METRICS;

/** The tags that place an eval node in the experiment; `extra` holds any other swept key (e.g. model.width). */
export interface Place {
  cycle: string;
  lambda?: number;
  seed?: number;
  generation?: number;
  extra: Record<string, Scalar>;
}

export interface EvalPoint {
  node: string;
  place: Place;
  metrics: Record<string, Cell>;
}

const PLACE_TAGS = new Set(['stage', 'cycle', 'lambda', 'seed', 'generation']);

export function parseLock(text: string, label: string): Lock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${label} is not JSON: ${(error as Error).message}`);
  }
  const parsed = lockSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${label} is not a pipeline.lock (version 1): ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

export function readParamsYaml(text: string, label: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new Error(`${label} is not YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new Error(`${label} is not a params file: its top level is not a mapping`);
  return value;
}

function numberTag(value: Scalar | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function placeOf(node: LockNode): Place {
  const { tags } = node;
  const extra = Object.fromEntries(Object.entries(tags).filter(([k]) => !PLACE_TAGS.has(k)));
  return {
    cycle: String(tags.cycle ?? '(none)'),
    lambda: numberTag(tags.lambda),
    seed: numberTag(tags.seed),
    generation: numberTag(tags.generation),
    extra,
  };
}

/** The lock's eval nodes, sorted by cycle, λ, other swept keys, seed and generation. */
export function evalPoints(lock: Lock): EvalPoint[] {
  const points = Object.entries(lock.nodes)
    .filter(([, node]) => node.stage === 'eval')
    .map(([id, node]) => ({ node: id, place: placeOf(node), metrics: node.metrics }));
  return sortByPlace(points, (p) => p.place);
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering

function rank(known: readonly string[], name: string): number {
  const i = known.indexOf(name);
  return i < 0 ? known.length : i;
}

/** undefined first, numbers numerically, anything else as text. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function compareTuples(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

export function compareNames(known: readonly string[], a: string, b: string): number {
  return rank(known, a) - rank(known, b) || a.localeCompare(b);
}

/** The other swept keys found in these places, sorted. */
function extraKeys(places: readonly Place[]): string[] {
  return [...new Set(places.flatMap((p) => Object.keys(p.extra)))].sort();
}

/** Sorts by cycle (paper order), λ, the other swept keys, seed, generation, then `tiebreak`; stable. */
export function sortByPlace<T>(items: readonly T[], placeOfItem: (item: T) => Place, tiebreak?: (a: T, b: T) => number): T[] {
  const keys = extraKeys(items.map(placeOfItem));
  const tuple = (p: Place) => [rank(CYCLES, p.cycle), p.cycle, p.lambda, ...keys.map((k) => p.extra[k]), p.seed, p.generation];
  return [...items].sort((a, b) => compareTuples(tuple(placeOfItem(a)), tuple(placeOfItem(b))) || (tiebreak?.(a, b) ?? 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a version: a git revision, a file, a directory, or the working tree

export type VersionFile = 'params.yaml' | 'pipeline.lock';
export interface Version {
  /** How to name this version in output: the spec as given ("HEAD~1", "runs/a.lock", "workdir"). */
  label: string;
  text: string;
}

/** The working tree, as a spec. */
export const WORKDIR = 'workdir';

function missingFile(file: VersionFile, where: string): Error {
  const hint = file === 'pipeline.lock' ? ': run `npx tsx pipeline.ts repro` first' : '';
  return new Error(`no ${file} at ${where}${hint}`);
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, maxBuffer: 1 << 28, encoding: 'utf8' });
  return stdout;
}

/**
 * The text of `file` in the version `spec`: `workdir` or `.` (the working tree under cwd), an existing file
 * (taken as is), an existing directory (its `file`), or else a git revision (`git show REV:./file`, the file's
 * path in the repository being that of cwd).
 */
export async function readVersion(spec: string, file: VersionFile, cwd: string): Promise<Version> {
  const label = spec === '.' ? WORKDIR : spec;
  const local = path.resolve(cwd, spec === WORKDIR ? '.' : spec);
  const stats = await stat(local).catch(() => undefined);
  if (stats) {
    const target = stats.isDirectory() ? path.join(local, file) : local;
    const text = await readFile(target, 'utf8').catch(() => {
      throw missingFile(file, target);
    });
    return { label, text };
  }
  // A name like the file's own ("pipeline.lock", "runs/b.lock") is a missing file, never a revision.
  const fileLike = path.basename(spec) === file || /\.(lock|ya?ml|json)$/.test(spec);
  if (fileLike) throw missingFile(file, local);
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`]);
  } catch (error) {
    const reason = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`"${spec}" is neither a file, a directory nor a git revision${reason ? ` (git: ${reason})` : ''}`);
  }
  try {
    return { label, text: await git(cwd, ['show', `${spec}:./${file}`]) };
  } catch {
    const prefix = (await git(cwd, ['rev-parse', '--show-prefix'])).trim();
    throw new Error(`git revision ${spec} has no ${prefix}${file}`);
  }
}

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

export function diffParams(a: Record<string, unknown>, b: Record<string, unknown>, options: { all?: boolean } = {}): ParamRow[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const rows = keys.map((key): ParamRow => {
    const inA = key in fa;
    const inB = key in fb;
    const change: Change = !inA ? 'added' : !inB ? 'removed' : JSON.stringify(fa[key]) === JSON.stringify(fb[key]) ? 'same' : 'changed';
    return { key, ...(inA && { old: fa[key] }), ...(inB && { new: fb[key] }), change };
  });
  return options.all ? rows : rows.filter((r) => r.change !== 'same');
}

// ---------------------------------------------------------------------------------------------------------------
// metrics diff and metrics show

export interface MetricRow extends Place {
  node: string;
  metric: string;
  old: Cell;
  new: Cell;
  /** new − old when both are numbers, else null. */
  delta: number | null;
}

function cellOf(point: EvalPoint | undefined, metric: string): Cell {
  if (!point) return NOT_RUN;
  return point.metrics[metric] ?? NO_VALUE;
}

/** The metric names of these points, known ones first in their order. */
export function metricNames(points: readonly EvalPoint[]): string[] {
  const names = new Set(points.flatMap((p) => Object.keys(p.metrics)));
  return [...names].sort((a, b) => compareNames(KNOWN_METRICS, a, b));
}

/**
 * Eval metrics of two locks matched by node id: one row per node and metric, changed ones only unless `all`.
 * A node on one side only is "not run" on the other; `metrics` restricts the metric names.
 */
export function diffMetrics(lockA: Lock, lockB: Lock, options: { all?: boolean; metrics?: readonly string[] } = {}): MetricRow[] {
  const a = new Map(evalPoints(lockA).map((p) => [p.node, p]));
  const b = new Map(evalPoints(lockB).map((p) => [p.node, p]));
  const wanted = options.metrics?.length ? new Set(options.metrics) : undefined;
  const ids = new Set([...a.keys(), ...b.keys()]);
  const rows: MetricRow[] = [];
  for (const id of ids) {
    const pa = a.get(id);
    const pb = b.get(id);
    const point = (pb ?? pa)!;
    for (const metric of metricNames([pa, pb].filter((p) => p !== undefined))) {
      if (wanted && !wanted.has(metric)) continue;
      const old = cellOf(pa, metric);
      const now = cellOf(pb, metric);
      if (!options.all && old === now) continue;
      const delta = typeof old === 'number' && typeof now === 'number' ? now - old : null;
      rows.push({ ...point.place, node: id, metric, old, new: now, delta });
    }
  }
  return sortByPlace(rows, (r) => r, (x, y) => compareNames(KNOWN_METRICS, x.metric, y.metric));
}

export interface MetricsTable {
  metrics: string[];
  rows: EvalPoint[];
}

/** All eval metrics of a lock, one row per node, sorted by cycle, λ, seed, generation. */
export function metricsTable(lock: Lock): MetricsTable {
  const rows = evalPoints(lock);
  return { metrics: metricNames(rows), rows };
}

// ---------------------------------------------------------------------------------------------------------------
// Plain-text output

/** A metric value: integers as they are, other numbers with 4 decimals, anything else as text. */
export function formatValue(value: Cell | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4);
  return String(value);
}

function formatDelta(delta: number | null): string {
  if (delta === null) return '';
  return (delta > 0 ? '+' : '') + formatValue(delta);
}

const NUMERIC = /^[+-]?(\d|\.\d)/;

/** Aligned columns: a column holding any number is right-aligned, others left-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = header.map((_, i) => rows.some((r) => NUMERIC.test(r[i]!)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function placeHeader(places: readonly Place[]): { header: string[]; cells: (p: Place) => string[] } {
  const keys = extraKeys(places);
  return {
    header: ['cycle', 'λ', ...keys, 'seed', 'gen'],
    cells: (p) => [p.cycle, p.lambda, ...keys.map((k) => p.extra[k]), p.seed, p.generation].map((v) => (v === undefined ? '' : String(v))),
  };
}

export function formatParamDiff(rows: readonly ParamRow[], labelA: string, labelB: string): string {
  if (rows.length === 0) return `params: no differences between ${labelA} and ${labelB}`;
  // Params as written (0.5, not the metrics' 0.5000); strings bare, anything else as JSON.
  const show = (row: ParamRow, side: 'old' | 'new') => {
    const value = row[side];
    return !(side in row) ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
  };
  return formatTable(
    ['key', labelA, labelB, 'change'],
    rows.map((r) => [r.key, show(r, 'old'), show(r, 'new'), r.change === 'same' ? '' : r.change]),
  );
}

export function formatMetricDiff(rows: readonly MetricRow[], labelA: string, labelB: string): string {
  if (rows.length === 0) return `metrics: no differences between ${labelA} and ${labelB}`;
  const { header, cells } = placeHeader(rows);
  const table = formatTable(
    [...header, 'metric', labelA, labelB, 'Δ'],
    rows.map((r) => [...cells(r), r.metric, formatValue(r.old), formatValue(r.new), formatDelta(r.delta)]),
  );
  const changed = rows.filter((r) => r.old !== r.new);
  const nodes = new Set(changed.map((r) => r.node)).size;
  return `${table}\n\n${changed.length} changed value(s) in ${nodes} eval node(s)`;
}

export function formatMetricsTable(table: MetricsTable): string {
  if (table.rows.length === 0) return 'no eval nodes in the lock';
  const { header, cells } = placeHeader(table.rows.map((r) => r.place));
  return formatTable(
    [...header, ...table.metrics],
    table.rows.map((r) => [...cells(r.place), ...table.metrics.map((m) => formatValue(cellOf(r, m)))]),
  );
}
