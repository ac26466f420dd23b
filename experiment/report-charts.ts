/**
 * The report's figures as Vega-Lite specs, built from a lock's eval nodes: seeds are averaged per series
 * (cycle, λ and any other swept key) and generation, with the 95% t-interval of the mean (experiment/seeds.ts)
 * drawn as a band or whiskers when there is more than one seed; with several seeds, also each series' change from
 * its first to its last generation (experiment/change.ts).
 * Pure: no rendering, no files.
 */
import { scheme } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compareNames, compareValues, extraKeys, metricNames, sortByPlace, type EvalPoint } from './eval-points.ts';
import { groupStat, INTERVAL_NAME, seedGroups, type SeriesPlace } from './seeds.ts';
import { seriesChanges, type ChangeRow } from './change.ts';
import { CYCLE_TABLE, CYCLES, type CycleName } from '../stages/build-dataset.ts';
import type { ShapePoint } from './report-samples.ts';
import { chanceLabel, describeChance, type Chance } from './chance.ts';
import { headlineMetrics } from '../tasks/registry.ts';
import { shortName } from './metrics-show.ts';

export interface Series {
  /** Legend name: the cycle, then λ and other swept keys where set ("incremental λ=0.5"). */
  label: string;
  cycle: string;
  lambda?: number;
  /** The label without the cycle ("λ=0.5"), for panels that are already per cycle. */
  variant: string;
  color: string;
  /** Its line's dash pattern: the series of one cycle share a colour family, so they differ in dash too. */
  dash: number[];
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
  /** What the report says under it. */
  caption?: string;
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
const schemeOf = (cycle: string): string | undefined =>
  (CYCLES as readonly string[]).includes(cycle) ? CYCLE_TABLE[cycle as CycleName].scheme : undefined;
const OTHER_SCHEMES = ['oranges', 'browns'];

// Solid, dashed, dotted, dash-dot: with a colour family's shades these keep ten series of one cycle apart.
const DASHES: number[][] = [[], [7, 3], [2, 2], [8, 3, 2, 3]];
const dashes = (count: number): number[][] => Array.from({ length: count }, (_, i) => DASHES[i % DASHES.length]!);

function ramp(name: string, count: number, from: number, to: number): string[] {
  const interpolate = scheme(name) as (t: number) => string;
  return Array.from({ length: count }, (_, i) =>
    interpolate(count === 1 ? to : from + ((to - from) * i) / (count - 1)),
  );
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
    const colors = ramp(name, own.length, 0.4, 0.95);
    return own.map((p, i) => ({
      label: seriesLabel(p),
      cycle,
      lambda: p.lambda,
      variant: variantOf(p) || cycle,
      color: colors[i]!,
      dash: DASHES[i % DASHES.length]!,
    }));
  });
}

// What a metric can be: an interval over seeds is clipped to it (two seeds' t-interval easily runs below 0%).
const METRIC_RANGE: Record<string, [number, number]> = {
  'samples.semantic': [0, 1],
  'samples.syntactic': [0, 1],
  'samples.diversity': [0, 1],
  'samples.copied': [0, 1],
  'samples.validity': [0, 1],
  'samples.distinct_1': [0, 1],
  'samples.distinct_2': [0, 1],
  'samples.distinct_3': [0, 1],
  'samples.unique': [0, Infinity],
  'heldout.perplexity': [1, Infinity],
  'samples.perplexity_m0': [1, Infinity],
};

/**
 * Mean and 95% interval over seeds of `metric`, per series and generation, the interval clipped to the metric's
 * range; points without a number are skipped.
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
    const [variant, panel] =
      split === undefined
        ? [variantOf(place) || place.cycle, place.cycle]
        : [`${split}=${value}`, seriesLabel({ ...place, extra: rest })];
    const [min, max] = METRIC_RANGE[metric] ?? [-Infinity, Infinity];
    const [low, high] = [Math.max(min, ci95?.low ?? mean), Math.min(max, ci95?.high ?? mean)];
    return [
      { series, cycle: place.cycle, variant, panel, generation: place.generation, measure, mean, low, high, seeds: n },
    ];
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
  if (stats.length === 0)
    return { name: `diversity-${key}`, title, omitted: `no series has more than one value of ${key}` };
  const variants = [...new Set(sortByPlace(points, (p) => p.place).map((p) => `${key}=${p.place.extra[key]}`))];
  const shown = variants.filter((v) => stats.some((s) => s.variant === v));
  return {
    name: `diversity-${key}`,
    title,
    spec: lineChart({
      title: `Levenshtein diversity of S_t per generation and ${key}`,
      yTitle: 'diversity of S_t',
      stats,
      color: {
        field: 'variant',
        title: key,
        domain: shown,
        range: ramp('viridis', shown.length, 0, 0.85),
        dashes: dashes(shown.length),
      },
      perPanel: true,
      reference: d0Reference(points),
    }),
  };
}

/** A horizontal line across a chart: the chance rate, D_0's diversity. */
export interface Reference {
  value: number;
  label: string;
}

/** D_0's diversity, the level the loop starts from: data.diversity at generation 0 (the mean where seeds differ). */
function d0Reference(points: readonly EvalPoint[]): Reference | undefined {
  // Distinct values: a lock from before shared nodes had one name lists the one D_0 under every chain.
  const values = [
    ...new Set(points.filter((p) => p.place.generation === 0).map((p) => p.metrics['data.diversity'])),
  ].filter((v): v is number => typeof v === 'number');
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { value: mean, label: `D_0 ${mean.toFixed(3)}${values.length > 1 ? ` (mean of ${values.length})` : ''}` };
}

/** The series that have any of these stats, in series order. */
function presentIn(series: readonly Series[], stats: readonly Pick<Stat, 'series'>[]): Series[] {
  const labels = new Set(stats.map((t) => t.series));
  return series.filter((s) => labels.has(s.label));
}

/** The colour (and dash) encoding of the series a chart's stats hold, in the report's series order. */
function seriesColors(series: readonly Series[], stats: readonly Pick<Stat, 'series'>[]) {
  const shown = presentIn(series, stats);
  return {
    field: 'series' as const,
    title: 'cycle',
    domain: shown.map((s) => s.label),
    range: shown.map((s) => s.color),
    dashes: shown.map((s) => s.dash),
  };
}

function seedNote(stats: readonly Stat[], spreadMark: 'whiskers' | 'band'): { subtitle: string; spread: boolean } {
  const most = Math.max(...stats.map((s) => s.seeds));
  return most > 1
    ? { subtitle: `mean over up to ${most} seeds; ${spreadMark}: ${INTERVAL_NAME} of the mean`, spread: true }
    : { subtitle: 'one seed', spread: false };
}

const CONFIG = {
  font: 'sans-serif',
  title: { fontSize: 15, subtitleFontSize: 11 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
};

/** Line views stacked in one chart, each coloured by series; a view without stats is left out, the chart too if all are. */
function stackedChart(
  title: string,
  series: readonly Series[],
  views: readonly Omit<LineOptions, 'color'>[],
): TopLevelSpec | undefined {
  const drawn = views.filter((view) => view.stats.length);
  if (drawn.length === 0) return undefined;
  return {
    config: CONFIG,
    title: { text: title },
    vconcat: drawn.map((view) => lineView({ ...view, color: seriesColors(series, view.stats) })),
  };
}

/** Semantic correctness as lines against the chance rate; syntactic, near 100% from the start, in a small panel below. */
function correctnessChart(
  points: readonly EvalPoint[],
  series: readonly Series[],
  chance?: Chance,
): TopLevelSpec | undefined {
  const share = { domain: [0, 1] as [number, number], format: '%' };
  return stackedChart('Correctness of the generated expressions S_t per generation', series, [
    {
      title: 'Semantic: share of S_t that is True',
      yTitle: 'True (share of S_t)',
      stats: statsOf(points, 'samples.semantic', 'semantic'),
      share,
      reference: chance && { value: chance.rate, label: chanceLabel(chance) },
    },
    {
      title: 'Syntactic: share of S_t that parses',
      yTitle: 'parses',
      stats: statsOf(points, 'samples.syntactic', 'syntactic'),
      share,
      height: 90,
    },
  ]);
}

/** The two perplexities of eval.perplexity, one panel each: the held-out real rows under M_t, and S_t under M_0. */
function perplexityChart(points: readonly EvalPoint[], series: readonly Series[]): TopLevelSpec | undefined {
  return stackedChart('Perplexity per generation', series, [
    {
      title: 'Held-out real rows under M_t',
      yTitle: 'perplexity of held-out rows',
      stats: statsOf(points, 'heldout.perplexity', 'held-out'),
      fitted: true,
    },
    {
      title: 'S_t under M_0',
      yTitle: 'perplexity of S_t under M_0',
      stats: statsOf(points, 'samples.perplexity_m0', 'S_t'),
      fitted: true,
    },
  ]);
}

interface LineOptions {
  title: string;
  yTitle: string;
  stats: Stat[];
  color: { field: 'series' | 'variant'; title: string; domain: string[]; range: string[]; dashes: number[][] };
  /** One panel per stat's `panel` (its cycle unless the chart splits by another key). */
  perPanel?: boolean;
  /** A level drawn across the chart, labelled. */
  reference?: Reference;
  /** A share: this y domain and axis format. */
  share?: { domain: [number, number]; format: string };
  /** The y axis fits the data instead of starting at 0: a perplexity is at least 1. */
  fitted?: boolean;
  height?: number;
}

/** Lines of a metric per generation, one per series (colour and dash), the seeds' interval as a band. */
function lineView({ title, yTitle, stats, color, perPanel, reference, share, fitted, height }: LineOptions) {
  const { subtitle, spread } = seedNote(stats, 'band');
  const scale = { domain: color.domain, range: color.range };
  const colorEncoding = { field: color.field, type: 'nominal' as const, title: color.title, scale };
  // Colour and dash share one legend (same field, title and domain); its labels are never cut short.
  const legend = { symbolType: 'stroke', symbolStrokeWidth: 2.5, labelLimit: 1000 };
  const dashEncoding = {
    field: color.field,
    type: 'nominal' as const,
    title: color.title,
    scale: { domain: color.domain, range: color.dashes },
    legend,
  };
  const x = {
    field: 'generation',
    type: 'quantitative' as const,
    title: 'generation',
    scale: { nice: false },
    axis: { format: 'd', tickMinStep: 1 },
  };
  const y = (field: string) => ({
    field,
    type: 'quantitative' as const,
    title: yTitle,
    ...(share && { scale: { domain: share.domain }, axis: { format: share.format } }),
    ...(fitted && { scale: { zero: false } }),
  });
  const gens = new Set(stats.map((s) => s.generation)).size;
  // Bands are faint by fillOpacity (not opacity, which the shared legend would take on); legend symbols are strokes.
  const layers = [
    ...(spread
      ? [
          {
            mark: { type: 'area' as const, fillOpacity: 0.15 },
            encoding: { x, y: y('low'), y2: { field: 'high' }, color: { ...colorEncoding, legend } },
          },
        ]
      : []),
    {
      mark: { type: 'line' as const, point: gens <= 12, strokeWidth: 2 },
      encoding: { x, y: y('mean'), color: { ...colorEncoding, legend }, strokeDash: dashEncoding },
    },
    // One row (the count aggregate), so that the line and its label are drawn once, not once per datum.
    ...(reference
      ? [
          {
            transform: [{ aggregate: [{ op: 'count' as const, as: 'rows' }] }],
            encoding: { y: { datum: reference.value, type: 'quantitative' as const } },
            layer: [
              { mark: { type: 'rule' as const, color: '#444', strokeDash: [4, 4], strokeWidth: 1.5 } },
              {
                mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -7, fontSize: 11, color: '#444' },
                encoding: { x: { value: 0 }, text: { value: reference.label } },
              },
            ],
          },
        ]
      : []),
  ];
  const view = { width: perPanel ? 340 : 560, height: height ?? (perPanel ? 240 : 300), layer: layers };
  // Panels in cycle order (each stat knows its cycle), then by label.
  const cycleOfPanel = new Map(stats.map((s) => [s.panel, s.cycle]));
  const panels = [...cycleOfPanel.keys()].sort(
    (a, b) => compareNames(CYCLES, cycleOfPanel.get(a)!, cycleOfPanel.get(b)!) || a.localeCompare(b),
  );
  const common = { title: { text: title, subtitle }, data: { values: stats } };
  return perPanel
    ? {
        ...common,
        columns: 3,
        facet: { field: 'panel', type: 'nominal' as const, sort: panels, title: null, header: { labelFontSize: 13 } },
        spec: view,
      }
    : { ...common, ...view };
}

function lineChart(options: LineOptions): TopLevelSpec {
  return { config: CONFIG, ...lineView(options) } as TopLevelSpec;
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
    title: {
      text: `Validation loss per step, each generation of ${chain}`,
      subtitle: 'the weights kept are those of the lowest validation loss',
    },
    config: CONFIG,
    data: { values: [...curve] },
    width: 520,
    height: 300,
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'val_loss', type: 'quantitative', title: 'validation loss (nats/token)', scale: { zero: false } },
      color: {
        field: 'generation',
        type: 'ordinal',
        title: 'generation',
        scale: { domain: generations, range: ramp('viridis', generations.length, 0, 0.9) },
      },
    },
  };
}

/** Length and depth distributions of S_t against D_0: a row per series, a column per measure. */
export function sampleShapesChart(points: readonly ShapePoint[]): TopLevelSpec {
  const sets = [...new Set(points.map((p) => p.set))].sort((a, b) =>
    a === 'D_0' ? -1 : b === 'D_0' ? 1 : Number(a.slice(2)) - Number(b.slice(2)),
  );
  return {
    title: {
      text: 'Length (tokens) and depth of S_t against D_0',
      subtitle: 'share of rows; depth over the rows that parse',
    },
    config: CONFIG,
    data: { values: [...points] },
    facet: {
      row: { field: 'series', type: 'nominal', title: null },
      column: { field: 'measure', type: 'nominal', title: null },
    },
    spec: {
      width: 260,
      height: 110,
      mark: { type: 'line', point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: null },
        y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '.0%' } },
        color: {
          field: 'set',
          type: 'nominal',
          title: 'set',
          scale: { domain: sets, range: ['#222', ...ramp('viridis', sets.length - 1, 0, 0.9)] },
        },
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** One series' change of a metric as the change chart draws it: the mean Δ over seeds and its 95% interval. */
interface ChangePoint {
  series: string;
  /** The y axis label: the series without its cycle when every series has the same one. */
  label: string;
  mean: number;
  /** The interval's ends; the mean itself for one seed, which has none. */
  low: number;
  high: number;
  seeds: number;
}

/** The metrics whose change the report draws: the task's own headline metrics, and diversity. */
function changeMetrics(points: readonly EvalPoint[]): string[] {
  const recorded = metricNames(points);
  const taskIndependent = headlineMetrics([]);
  return [...headlineMetrics(recorded).filter((m) => !taskIndependent.includes(m)), 'samples.diversity'].filter((m) =>
    recorded.includes(m),
  );
}

/** A dot per series at its mean Δ of `metric`, whiskers for the 95% interval over seeds, a rule at no change. */
function changeChart(rows: readonly ChangeRow[], metric: string, series: readonly Series[]): Chart {
  const name = shortName(metric);
  const title = `Change of ${name} from the first to the last generation`;
  const changed = rows.filter((r) => r.metrics[metric]!.change);
  if (changed.length === 0)
    return { name: `change-${name}`, title, omitted: `no series has ${metric} at two generations of a seed` };
  const oneCycle = new Set(changed.map((r) => r.cycle)).size === 1;
  const values: ChangePoint[] = changed.map((row) => {
    const { mean, ci95, n } = row.metrics[metric]!.change!;
    return {
      series: seriesLabel(row),
      label: (oneCycle && variantOf(row)) || seriesLabel(row),
      mean,
      low: ci95?.low ?? mean,
      high: ci95?.high ?? mean,
      seeds: n,
    };
  });
  const spans = new Set(changed.map((r) => `${r.firstGeneration} → ${r.lastGeneration}`));
  const span = spans.size === 1 ? `generation ${[...spans][0]}` : "each series' first → last generation";
  const y = {
    field: 'label',
    type: 'nominal' as const,
    title: null,
    sort: values.map((v) => v.label),
    axis: { labelLimit: 1000 },
  };
  // 0 always in view, and off the frame's edge so that its rule stays visible.
  const x = {
    type: 'quantitative' as const,
    title: `Δ ${name} (last − first)`,
    scale: { zero: true, padding: 12 },
  };
  // The y axis names each series, so its colour needs no legend.
  const { field, domain, range } = seriesColors(series, values);
  const color = { field, type: 'nominal' as const, legend: null, scale: { domain, range } };
  const left =
    changed.length < rows.length
      ? ` Left out (one generation, or no seed at both ends): ${rows.length - changed.length} series.`
      : '';
  return {
    name: `change-${name}`,
    title,
    caption: `Each seed's ${name} at the last generation minus at the first, averaged over seeds; a series with one seed has no whiskers.${left}`,
    spec: {
      config: CONFIG,
      title: {
        text: `Change of ${name}, ${span}${oneCycle ? `, ${changed[0]!.cycle}` : ''}`,
        subtitle: `mean over seeds of last − first; whiskers: ${INTERVAL_NAME}`,
      },
      data: { values },
      width: 420,
      height: { step: 24 },
      layer: [
        {
          transform: [{ aggregate: [{ op: 'count' as const, as: 'rows' }] }],
          mark: { type: 'rule' as const, color: '#444', strokeDash: [4, 4], strokeWidth: 1.5 },
          encoding: { x: { datum: 0, ...x } },
        },
        {
          mark: { type: 'rule' as const, strokeWidth: 2 },
          encoding: { y, x: { field: 'low', ...x }, x2: { field: 'high' }, color },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 70, opacity: 1 },
          encoding: { y, x: { field: 'mean', ...x }, color },
        },
      ],
    },
  };
}

/** The lock's task's headline metrics but correctness, which has its own chart: a text lock's validity and distinct_2. */
function taskMetrics(points: readonly EvalPoint[]): string[] {
  const recorded = metricNames(points);
  // headlineMetrics of a lock that recorded nothing: the task-independent ones, drawn by their own charts.
  const drawnElsewhere = new Set([...headlineMetrics([]), 'samples.semantic', 'samples.syntactic']);
  return headlineMetrics(recorded).filter((m) => !drawnElsewhere.has(m));
}

/** The report's charts, each with a spec or the reason it is left out. */
export function reportCharts(points: readonly EvalPoint[], chance?: Chance): Chart[] {
  const series = seriesOf(points);
  const d0 = d0Reference(points);
  const diversity = statsOf(points, 'samples.diversity');
  const unique = statsOf(points, 'samples.unique');
  const lambdaDiversity = diversity.filter((s) => series.find((t) => t.label === s.series)?.lambda !== undefined);
  const byLambda = presentIn(series, lambdaDiversity).sort(
    (a, b) => compareValues(a.lambda, b.lambda) || a.variant.localeCompare(b.variant),
  );
  const variants = [...new Set(byLambda.map((s) => s.variant))];
  const chart = (
    name: string,
    title: string,
    spec: TopLevelSpec | undefined,
    omitted: string,
    caption?: string,
  ): Chart => (spec ? { name, title, spec, ...(caption && { caption }) } : { name, title, omitted });
  const d0Caption =
    d0 && 'Dashed: the diversity of D_0, the real data every chain starts from (data.diversity at generation 0).';
  const perplexity = perplexityChart(points, series);
  return [
    chart(
      'correctness',
      'Semantic and syntactic correctness',
      correctnessChart(points, series, chance),
      'no eval node records samples.semantic or samples.syntactic',
      chance && describeChance(chance),
    ),
    ...taskMetrics(points).map((metric) => {
      const stats = statsOf(points, metric);
      const name = shortName(metric);
      const spec = lineChart({
        title: `${name} of S_t per generation`,
        yTitle: `${name} of S_t`,
        stats,
        color: seriesColors(series, stats),
      });
      return chart(`task-${name}`, `${name} of S_t`, spec, `no eval node records ${metric}`);
    }),
    chart(
      'diversity',
      'Levenshtein diversity of S_t',
      diversity.length
        ? lineChart({
            title: 'Levenshtein diversity of S_t per generation',
            yTitle: 'diversity of S_t',
            stats: diversity,
            color: seriesColors(series, diversity),
            reference: d0,
          })
        : undefined,
      'no eval node records samples.diversity',
      d0Caption,
    ),
    chart(
      'diversity-lambda',
      'Diversity per λ',
      lambdaDiversity.length
        ? lineChart({
            title: 'Levenshtein diversity of S_t per generation and λ',
            yTitle: 'diversity of S_t',
            stats: lambdaDiversity,
            color: {
              field: 'variant',
              title: 'λ',
              domain: variants,
              range: ramp('viridis', variants.length, 0, 0.85),
              dashes: dashes(variants.length),
            },
            perPanel: true,
            reference: d0,
          })
        : undefined,
      'no λ-dependent cycle (incremental, expanding) with samples.diversity in the lock',
      d0Caption,
    ),
    chart(
      'unique',
      'Distinct expressions in S_t',
      unique.length
        ? lineChart({
            title: 'Distinct expressions in S_t per generation',
            yTitle: 'unique expressions',
            stats: unique,
            color: seriesColors(series, unique),
          })
        : undefined,
      'no eval node records samples.unique',
    ),
    // Only where the lock has them (eval.perplexity): a lock from before them, or without them, is not missing a chart.
    ...(perplexity
      ? [
          {
            name: 'perplexity',
            title: 'Perplexity: held-out real rows under M_t, and S_t under M_0',
            spec: perplexity,
            caption:
              'Top: the perplexity of real rows no generation trained on (eval.heldout_rows) under M_t; it rises as the models forget the tails of the real distribution (Shumailov et al., Nature 2024). Bottom: the perplexity of S_t under M_0, the first model trained on real data: how far the samples drift from what it finds likely.',
          },
        ]
      : []),
    ...extraKeys(points.map((p) => p.place)).map((key) => keyChart(points, key)),
    ...changeCharts(points, series),
  ];
}

/** The change charts, only where some series has two or more seeds: one seed's change has no interval to draw. */
function changeCharts(points: readonly EvalPoint[], series: readonly Series[]): Chart[] {
  const metrics = changeMetrics(points);
  const rows = seriesChanges(points, metrics);
  if (!rows.some((r) => r.seeds.length >= 2)) return [];
  return metrics.map((metric) => changeChart(rows, metric, series));
}
