/**
 * The change of a metric along a series, from its first generation to its last: per seed the paired difference
 * last − first, summarised over seeds with the 95% t-interval of experiment/seeds.ts. Pairing by seed removes
 * what a seed shares between its two ends (its D_0, its M_0), so the interval is that of the change itself.
 * Pure: no printing.
 */
import { sortByPlace, type EvalPoint, type Place } from './eval-points.ts';
import { groupKey, seedStat, type SeedStat } from './seeds.ts';

/** What places a series: a place without seed and generation. */
export type SeriesOnly = Omit<Place, 'seed' | 'generation'>;

/** Why a metric of a series has no change. */
export const ONE_GENERATION = 'one generation';
export const NO_PAIR = 'no seed at both ends';

export interface MetricChange {
  /** The seeds with the metric at both the first and the last generation, in seed order; none for one generation. */
  seeds: (number | undefined)[];
  /** The metric at the first and at the last generation over those seeds, so that Δ = last − first; absent with `none`. */
  first?: SeedStat;
  last?: SeedStat;
  /** last − first per seed, summarised; absent when there is no change to tell, `none` says why. */
  change?: SeedStat;
  none?: typeof ONE_GENERATION | typeof NO_PAIR;
}

export interface ChangeRow extends SeriesOnly {
  /** The smallest and the largest generation any seed of the series reached. */
  firstGeneration: number;
  lastGeneration: number;
  /** Every seed of the series, in seed order. */
  seeds: (number | undefined)[];
  metrics: Record<string, MetricChange>;
}

const generationOf = (point: EvalPoint) => point.place.generation ?? 0;

function metricChange(
  points: readonly EvalPoint[],
  metric: string,
  firstGeneration: number,
  lastGeneration: number,
): MetricChange {
  if (firstGeneration === lastGeneration) return { seeds: [], none: ONE_GENERATION };
  const valueAt = (generation: number) =>
    new Map(
      points
        .filter((p) => generationOf(p) === generation && typeof p.metrics[metric] === 'number')
        .map((p) => [p.place.seed, p.metrics[metric] as number]),
    );
  const [atFirst, atLast] = [valueAt(firstGeneration), valueAt(lastGeneration)];
  // Points come in seed order, so the pairs do too.
  const seeds = [...atFirst.keys()].filter((seed) => atLast.has(seed));
  if (seeds.length === 0) return { seeds, none: NO_PAIR };
  const first = seedStat(seeds.map((seed) => atFirst.get(seed)!));
  const last = seedStat(seeds.map((seed) => atLast.get(seed)!));
  const change = seedStat(seeds.map((seed) => atLast.get(seed)! - atFirst.get(seed)!));
  return { seeds, first, last, change };
}

/** Per series of these points (in sortByPlace order) and per metric, the change from its first to its last generation. */
export function seriesChanges(points: readonly EvalPoint[], metrics: readonly string[]): ChangeRow[] {
  const series = new Map<string, EvalPoint[]>();
  for (const point of sortByPlace(points, (p) => p.place)) {
    const key = groupKey({ ...point.place, generation: undefined });
    const own = series.get(key);
    if (own) own.push(point);
    else series.set(key, [point]);
  }
  return [...series.values()].map((own) => {
    const { seed: _seed, generation: _generation, ...place } = own[0]!.place;
    const generations = own.map(generationOf);
    const [firstGeneration, lastGeneration] = [Math.min(...generations), Math.max(...generations)];
    return {
      ...place,
      firstGeneration,
      lastGeneration,
      seeds: [...new Set(own.map((p) => p.place.seed))],
      metrics: Object.fromEntries(metrics.map((m) => [m, metricChange(own, m, firstGeneration, lastGeneration)])),
    };
  });
}
