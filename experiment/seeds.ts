/**
 * Seeds as statistics. The chains of a sweep that differ only in their seed are replicates: per series (cycle, λ
 * and any other swept key) and generation, a metric is summarised by the mean over seeds and a 95% Student
 * t-interval, mean ± t(0.975, n − 1) · s / √n with s the sample standard deviation. A t-interval, not a bootstrap:
 * with the 3–5 seeds a sweep affords, resampling has too few distinct resamples to give an honest interval, and the
 * t-interval is exact when the seeds' values are normal. One seed has no interval, never a made-up one.
 */
import { sortByPlace, type EvalPoint, type Place } from './eval-points.ts';

/** A metric over the seeds of one series at one generation. */
export interface SeedStat {
  mean: number;
  /** Number of seeds with a value. */
  n: number;
  /** Sample standard deviation; absent for one seed. */
  sd?: number;
  /** The 95% t-interval of the mean; absent for one seed. */
  ci95?: { low: number; high: number };
  /** The seeds' values, in seed order. */
  values: number[];
}

export const INTERVAL_NAME = '95% t-interval';

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const numerator =
      i === 0
        ? 1
        : i % 2 === 0
          ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
          : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + numerator / c;
    c = Math.abs(c) < tiny ? tiny : c;
    f *= c * d;
    if (Math.abs(1 - c * d) < 1e-14) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
function studentCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t, by bisection on the CDF (p > 0.5). */
export function studentQuantile(p: number, df: number): number {
  let low = 0;
  let high = 1;
  while (studentCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** Mean, and for two or more values the sample standard deviation and the 95% t-interval of the mean. */
export function seedStat(values: readonly number[]): SeedStat {
  if (values.length === 0) throw new Error('seedStat: no values');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, n, values: [...values] };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = studentQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { mean, n, sd, ci95: { low: mean - half, high: mean + half }, values: [...values] };
}

/** Welch's 95% t-interval for mean(b) − mean(a); undefined unless both sides have two or more seeds. */
export function differenceInterval(a: SeedStat, b: SeedStat): { low: number; high: number } | undefined {
  if (a.sd === undefined || b.sd === undefined) return undefined;
  const va = a.sd ** 2 / a.n;
  const vb = b.sd ** 2 / b.n;
  const delta = b.mean - a.mean;
  if (va + vb === 0) return { low: delta, high: delta };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const half = studentQuantile(0.975, df) * Math.sqrt(va + vb);
  return { low: delta - half, high: delta + half };
}

/** A place without its seed: what the seeds of a sweep share. */
export type SeriesPlace = Omit<Place, 'seed'>;

/** Identifies a series and generation: equal for the seeds of one point of the sweep. */
export function groupKey(place: Place): string {
  const { seed: _seed, ...rest } = place;
  return JSON.stringify([rest.cycle, rest.lambda ?? null, Object.entries(rest.extra).sort(), rest.generation ?? null]);
}

export interface SeedGroup {
  place: SeriesPlace;
  seeds: number[];
  points: EvalPoint[];
}

/** The eval points grouped over seeds, in place order; each group's points in seed order. */
export function seedGroups(points: readonly EvalPoint[]): SeedGroup[] {
  const groups = new Map<string, SeedGroup>();
  for (const point of sortByPlace(points, (p) => p.place)) {
    const key = groupKey(point.place);
    let group = groups.get(key);
    if (!group) {
      const { seed: _seed, ...place } = point.place;
      group = { place, seeds: [], points: [] };
      groups.set(key, group);
    }
    group.points.push(point);
    if (point.place.seed !== undefined) group.seeds.push(point.place.seed);
  }
  return [...groups.values()];
}

/** A group's statistic for one metric; undefined when no seed recorded a number for it. */
export function groupStat(group: SeedGroup, metric: string): SeedStat | undefined {
  const values = group.points.map((p) => p.metrics[metric]).filter((v): v is number => typeof v === 'number');
  return values.length ? seedStat(values) : undefined;
}
