/**
 * The report's figures as Vega-Lite specs, built from a lock's eval nodes: seeds are averaged per series
 * (cycle, λ and any other swept key) and generation, with the 95% t-interval of the mean (experiment/seeds.ts)
 * drawn as a band or whiskers when there is more than one seed.
 * Pure: no rendering, no files.
 */
import { scheme } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compareNames, compareValues, extraKeys, sortByPlace, type EvalPoint } from './eval-points.ts';
import { groupStat, INTERVAL_NAME, seedGroups, type SeriesPlace } from './seeds.ts';
import { CYCLE_TABLE, CYCLES, type CycleName } from '../stages/build-dataset.ts';
import type { ShapePoint } from './report-samples.ts';

export interface Series {
  /** Legend name: the cycle, then λ and other swept keys where set ("incremental λ=0.5"). */
  label: string;
  cycle: string;
  lambda?: number;
  /** The label without the cycle ("λ=0.5"), for panels that are already per cycle. */
  variant: string;
  color: string;
}

/** One series at one generation: a metric's mean over seeds and its 95% interval (the mean itself for one seed). */
export interface Stat {
  series: string;
  cycle: string;
  variant: string;
  /** The panel of a per-panel chart: the cycle, or the series without the key a chart splits by. */
  panel: string;
  generation: number;
  measure: string;
  mean: number;
  low: number;
  high: number;
  seeds: number;
}

export interface Chart {
  /** File stem: correctness, diversity, diversity-lambda, unique. */
  name: string;
  title: string;
  spec?: TopLevelSpec;
  /** Why the chart is left out, when it is. */
  omitted?: string;
}

function variantOf(place: SeriesPlace): string {
  const parts = [
    ...(place.lambda === undefined ? [] : [`λ=${place.lambda}`]),
    ...Object.entries(place.extra)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`),
  ];
  return parts.join(' ');
}

export function seriesLabel(place: SeriesPlace): string {
  return [place.cycle, variantOf(place)].filter(Boolean).join(' ');
}

// A colour family per cycle (its scheme in CYCLE_TABLE), shaded by λ: light for small λ, dark for large. A lock
// written by another version may name a cycle this one lacks; such cycles take the other families in turn.
const schemeOf = (cycle: string): string | undefined => (CYCLES as readonly string[]).includes(cycle) ? CYCLE_TABLE[cycle as CycleName].scheme : undefined;
const OTHER_SCHEMES = ['oranges', 'browns'];

function ramp(name: string, count: number, from: number, to: number): string[] {
  const interpolate = scheme(name) as (t: number) => string;
  return Array.from({ length: count }, (_, i) => interpolate(count === 1 ? to : from + ((to - from) * i) / (count - 1)));
}

/** The distinct series of these points, in cycle and λ order, each with its colour. */
export function seriesOf(points: readonly EvalPoint[]): Series[] {
  const firsts = new Map<string, SeriesPlace>();
  for (const p of sortByPlace(points, (q) => q.place)) {
    const label = seriesLabel(p.place);
    if (!firsts.has(label)) firsts.set(label, p.place);
  }
  const places = [...firsts.values()];
  const cycles = [...new Set(places.map((p) => p.cycle))];
  const others = cycles.filter((c) => !schemeOf(c));
  return cycles.flatMap((cycle) => {
    const own = places.filter((p) => p.cycle === cycle);
    const name = schemeOf(cycle) ?? OTHER_SCHEMES[others.indexOf(cycle) % OTHER_SCHEMES.length]!;
    const colors = ramp(name, own.length, 0.35, 0.95);
    return own.map((p, i) => ({ label: seriesLabel(p), cycle, lambda: p.lambda, variant: variantOf(p) || cycle, color: colors[i]! }));
  });
}

/**
 * Mean and 95% interval over seeds of `metric`, per series and generation; points without a number are skipped.
 * With `split`, a swept key: its value is the variant and the rest of the series the panel, for a chart of that key.
 */
export function statsOf(points: readonly EvalPoint[], metric: string, measure = metric, split?: string): Stat[] {
  const stats = seedGroups(points).flatMap((group): Stat[] => {
    const { place } = group;
    const stat = groupStat(group, metric);
    if (!stat || place.generation === undefined) return [];
    if (split !== undefined && !(split in place.extra)) return [];
    const { mean, ci95, n } = stat;
    const series = seriesLabel(place);
    const { [split ?? '']: value, ...rest } = place.extra;
    const [variant, panel] = split === undefined
      ? [variantOf(place) || place.cycle, place.cycle]
      : [`${split}=${value}`, seriesLabel({ ...place, extra: rest })];
    return [{ series, cycle: place.cycle, variant, panel, generation: place.generation, measure, mean, low: ci95?.low ?? mean, high: ci95?.high ?? mean, seeds: n }];
  });
  return stats.sort((a, b) => compareValues(a.generation, b.generation));
}

/** Diversity per value of a swept key other than cycle and λ, one panel per rest of the series that has several. */
function keyChart(points: readonly EvalPoint[], key: string): Chart {
  const all = statsOf(points, 'samples.diversity', 'samples.diversity', key);
  const valuesPerPanel = new Map<string, Set<string>>();
  for (const s of all) valuesPerPanel.set(s.panel, (valuesPerPanel.get(s.panel) ?? new Set()).add(s.variant));
  const stats = all.filter((s) => valuesPerPanel.get(s.panel)!.size > 1);
  const title = `Diversity per ${key}`;
  if (stats.length === 0) return { name: `diversity-${key}`, title, omitted: `no series has more than one value of ${key}` };
  const variants = [...new Set(sortByPlace(points, (p) => p.place).map((p) => `${key}=${p.place.extra[key]}`))];
  const shown = variants.filter((v) => stats.some((s) => s.variant === v));
  return {
    name: `diversity-${key}`,
    title,
    spec: lineChart({
      title: `Levenshtein diversity of S_t per generation and ${key}`,
      yTitle: 'diversity of S_t',
      stats,
      color: { field: 'variant', title: key, domain: shown, range: ramp('viridis', shown.length, 0, 0.85) },
      perPanel: true,
    }),
  };
}

/** The series that have any of these stats, in series order. */
function presentIn(series: readonly Series[], stats: readonly Stat[]): Series[] {
  const labels = new Set(stats.map((t) => t.series));
  return series.filter((s) => labels.has(s.label));
}

function seedNote(stats: readonly Stat[], spreadMark: 'whiskers' | 'band'): { subtitle: string; spread: boolean } {
  const most = Math.max(...stats.map((s) => s.seeds));
  return most > 1
    ? { subtitle: `mean over up to ${most} seeds; ${spreadMark}: ${INTERVAL_NAME} of the mean`, spread: true }
    : { subtitle: 'one seed', spread: false };
}

/** At most about ten labelled generations on an ordinal axis: 0, 5, 10, … */
function generationTicks(stats: readonly Stat[]): number[] {
  const gens = [...new Set(stats.map((s) => s.generation))].sort((a, b) => a - b);
  const step = [1, 2, 5, 10, 20, 50, 100].find((s) => gens.length / s <= 11) ?? 100;
  return gens.filter((g) => g % step === 0);
}

const CONFIG = { font: 'sans-serif', title: { fontSize: 15, subtitleFontSize: 11 }, axis: { labelFontSize: 11, titleFontSize: 12 } };

function correctnessChart(points: readonly EvalPoint[], series: readonly Series[]): TopLevelSpec | undefined {
  const stats = [...statsOf(points, 'samples.semantic', 'semantic'), ...statsOf(points, 'samples.syntactic', 'syntactic')];
  if (stats.length === 0) return undefined;
  const { subtitle, spread } = seedNote(stats, 'whiskers');
  const shown = presentIn(series, stats).map((s) => s.label);
  const y = (field: string) => ({ field, type: 'quantitative' as const, title: 'share of S_t', scale: { domain: [0, 1] }, axis: { format: '%' } });
  const spec: TopLevelSpec = {
    title: { text: 'Correctness of the generated expressions S_t per generation', subtitle },
    config: CONFIG,
    data: { values: stats },
    columns: Math.min(4, shown.length),
    facet: { field: 'series', type: 'nominal', sort: shown, title: null, header: { labelFontSize: 13 } },
    spec: {
      width: 260,
      height: 150,
      encoding: {
        x: { field: 'generation', type: 'ordinal', title: 'generation', axis: { values: generationTicks(stats), labelAngle: 0 } },
        xOffset: { field: 'measure', sort: ['semantic', 'syntactic'] },
      },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: y('mean'),
            color: {
              field: 'measure',
              type: 'nominal',
              title: 'correct',
              scale: { domain: ['semantic', 'syntactic'], range: ['#1f77b4', '#ff7f0e'] },
            },
          },
        },
        ...(spread ? [{ mark: { type: 'rule' as const, color: '#333' }, encoding: { y: y('low'), y2: { field: 'high' } } }] : []),
      ],
    },
  };
  return spec;
}

interface LineOptions {
  title: string;
  yTitle: string;
  stats: Stat[];
  color: { field: 'series' | 'variant'; title: string; domain: string[]; range: string[] };
  /** One panel per stat's `panel` (its cycle unless the chart splits by another key). */
  perPanel?: boolean;
}

function lineChart({ title, yTitle, stats, color, perPanel }: LineOptions): TopLevelSpec {
  const { subtitle, spread } = seedNote(stats, 'band');
  const colorEncoding = { field: color.field, type: 'nominal' as const, title: color.title, scale: { domain: color.domain, range: color.range } };
  const legend = { symbolType: 'stroke', symbolStrokeWidth: 3, labelLimit: 400 };
  const x = { field: 'generation', type: 'quantitative' as const, title: 'generation', scale: { nice: false }, axis: { format: 'd', tickMinStep: 1 } };
  const y = (field: string) => ({ field, type: 'quantitative' as const, title: yTitle });
  const gens = new Set(stats.map((s) => s.generation)).size;
  // Bands are faint by fillOpacity (not opacity, which the shared legend would take on); legend symbols are strokes.
  const layers = [
    { mark: { type: 'line' as const, point: gens <= 12, strokeWidth: 2 }, encoding: { x, y: y('mean'), color: { ...colorEncoding, legend } } },
    ...(spread ? [{ mark: { type: 'area' as const, fillOpacity: 0.15 }, encoding: { x, y: y('low'), y2: { field: 'high' }, color: colorEncoding } }] : []),
  ];
  const view = { width: perPanel ? 340 : 520, height: perPanel ? 240 : 300, layer: layers };
  // Panels in cycle order (each stat knows its cycle), then by label.
  const cycleOfPanel = new Map(stats.map((s) => [s.panel, s.cycle]));
  const panels = [...cycleOfPanel.keys()].sort((a, b) => compareNames(CYCLES, cycleOfPanel.get(a)!, cycleOfPanel.get(b)!) || a.localeCompare(b));
  const common = { title: { text: title, subtitle }, config: CONFIG, data: { values: stats } };
  return perPanel
    ? { ...common, columns: 3, facet: { field: 'panel', type: 'nominal', sort: panels, title: null, header: { labelFontSize: 13 } }, spec: view }
    : { ...common, ...view };
}

/** One point of a training curve: the validation loss of generation `generation`'s model after `step` updates. */
export interface CurvePoint {
  generation: number;
  step: number;
  val_loss: number;
}

/** Validation loss per step, one line per generation of one chain, light to dark. */
export function trainingCurvesChart(chain: string, curve: readonly CurvePoint[]): TopLevelSpec {
  const generations = [...new Set(curve.map((p) => p.generation))].sort((a, b) => a - b);
  return {
    title: { text: `Validation loss per step, each generation of ${chain}`, subtitle: 'the weights kept are those of the lowest validation loss' },
    config: CONFIG,
    data: { values: [...curve] },
    width: 520,
    height: 300,
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'val_loss', type: 'quantitative', title: 'validation loss (nats/token)', scale: { zero: false } },
      color: { field: 'generation', type: 'ordinal', title: 'generation', scale: { domain: generations, range: ramp('viridis', generations.length, 0, 0.9) } },
    },
  };
}

/** Length and depth distributions of S_t against D_0: a row per series, a column per measure. */
export function sampleShapesChart(points: readonly ShapePoint[]): TopLevelSpec {
  const sets = [...new Set(points.map((p) => p.set))].sort((a, b) => (a === 'D_0' ? -1 : b === 'D_0' ? 1 : Number(a.slice(2)) - Number(b.slice(2))));
  return {
    title: { text: 'Length (tokens) and depth of S_t against D_0', subtitle: 'share of rows; depth over the rows that parse' },
    config: CONFIG,
    data: { values: [...points] },
    facet: { row: { field: 'series', type: 'nominal', title: null }, column: { field: 'measure', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 110,
      mark: { type: 'line', point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: null },
        y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '.0%' } },
        color: { field: 'set', type: 'nominal', title: 'set', scale: { domain: sets, range: ['#222', ...ramp('viridis', sets.length - 1, 0, 0.9)] } },
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** The report's charts, each with a spec or the reason it is left out. */
export function reportCharts(points: readonly EvalPoint[]): Chart[] {
  const series = seriesOf(points);
  const byLabel = (stats: Stat[]) => {
    const shown = presentIn(series, stats);
    return { field: 'series' as const, title: 'cycle', domain: shown.map((s) => s.label), range: shown.map((s) => s.color) };
  };
  const diversity = statsOf(points, 'samples.diversity');
  const unique = statsOf(points, 'samples.unique');
  const lambdaDiversity = diversity.filter((s) => series.find((t) => t.label === s.series)?.lambda !== undefined);
  const byLambda = presentIn(series, lambdaDiversity).sort((a, b) => compareValues(a.lambda, b.lambda) || a.variant.localeCompare(b.variant));
  const variants = [...new Set(byLambda.map((s) => s.variant))];
  const chart = (name: string, title: string, spec: TopLevelSpec | undefined, omitted: string): Chart =>
    spec ? { name, title, spec } : { name, title, omitted };
  return [
    chart('correctness', 'Semantic and syntactic correctness', correctnessChart(points, series), 'no eval node records samples.semantic or samples.syntactic'),
    chart(
      'diversity',
      'Levenshtein diversity of S_t',
      diversity.length ? lineChart({ title: 'Levenshtein diversity of S_t per generation', yTitle: 'diversity of S_t', stats: diversity, color: byLabel(diversity) }) : undefined,
      'no eval node records samples.diversity',
    ),
    chart(
      'diversity-lambda',
      'Diversity per λ',
      lambdaDiversity.length
        ? lineChart({
            title: 'Levenshtein diversity of S_t per generation and λ',
            yTitle: 'diversity of S_t',
            stats: lambdaDiversity,
            color: { field: 'variant', title: 'λ', domain: variants, range: ramp('viridis', variants.length, 0, 0.85) },
            perPanel: true,
          })
        : undefined,
      'no λ-dependent cycle (incremental, expanding) with samples.diversity in the lock',
    ),
    chart(
      'unique',
      'Distinct expressions in S_t',
      unique.length ? lineChart({ title: 'Distinct expressions in S_t per generation', yTitle: 'unique expressions', stats: unique, color: byLabel(unique) }) : undefined,
      'no eval node records samples.unique',
    ),
    ...extraKeys(points.map((p) => p.place)).map((key) => keyChart(points, key)),
  ];
}
