/**
 * "Paper vs this run": the figures docs/EXPERIMENT.md §6 quotes from Briesch et al. next to the same figures read
 * from a lock. Per series: the generation where the unique count of S_t first reaches 1 (else its value at the
 * last generation), the diversity loss at generation 50 (1 − diversity of S_50 / diversity of D_0), and semantic
 * correctness from generation 0 to the last. A figure the run lacks says so; nothing is extrapolated.
 */
import type { LockFile } from '../engine/store/lock-file.ts';
import { evalPoints, type EvalPoint } from './eval-points.ts';
import { seedGroups, seedStat } from './seeds.ts';
import { seriesLabel } from './report-charts.ts';

/** The generation the paper's diversity figures are taken at. */
const PAPER_GENERATION = 50;

interface PaperFigures {
  cycle: string;
  /** Unset: any λ (the cycle ignores it). The paper does not say which λ its incremental figure is for. */
  lambda?: number;
  collapse: string;
  loss: string;
  correctness: string;
}

// docs/EXPERIMENT.md §6; [review] and [paper] there say where each comes from.
const PAPER: readonly PaperFigures[] = [
  { cycle: 'full_synthetic', collapse: 'about gen 39', loss: '100% (one expression)', correctness: '100% True by gen 6' },
  { cycle: 'balanced', collapse: 'not reported', loss: '≈30%', correctness: 'rises' },
  { cycle: 'incremental', lambda: 0.5, collapse: 'nearly, by gen 36', loss: '≈68%', correctness: 'rises' },
  { cycle: 'expanding', lambda: 0.5, collapse: 'no (diversity still rising at 50)', loss: '≈22%', correctness: 'rises' },
  { cycle: 'expanding', lambda: 0.75, collapse: 'no', loss: '≈11% (25% fresh data)', correctness: 'rises' },
  { cycle: 'expanding', lambda: 1, collapse: 'not reported', loss: '≈36% (no fresh data)', correctness: 'rises' },
];

export const PAPER_HEADER = [
  'series', 'seeds', 'unique reaches 1: paper', 'this run', `diversity loss at gen ${PAPER_GENERATION}: paper`, 'this run',
  'semantic: paper', 'this run (gen 0 → last)',
] as const;

const percent = (x: number) => `${(100 * x).toFixed(0)}%`;
const fixed = (x: number) => x.toFixed(3);

/** "0.612" for one seed, "0.612 ± 0.031" (half-width of the 95% t-interval) for several. */
function summary(values: readonly number[], format: (x: number) => string): string {
  const stat = seedStat(values);
  return stat.ci95 ? `${format(stat.mean)} ± ${format((stat.ci95.high - stat.ci95.low) / 2)}` : format(stat.mean);
}

function bySeed(points: readonly EvalPoint[]): Map<number | undefined, EvalPoint[]> {
  const out = new Map<number | undefined, EvalPoint[]>();
  for (const p of points) out.set(p.place.seed, [...(out.get(p.place.seed) ?? []), p]);
  for (const chain of out.values()) chain.sort((a, b) => (a.place.generation ?? 0) - (b.place.generation ?? 0));
  return out;
}

const num = (p: EvalPoint | undefined, metric: string) => {
  const v = p?.metrics[metric];
  return typeof v === 'number' ? v : undefined;
};

/** Per seed: "gen G" where unique first is 1, or "U at gen L (not reached)". */
function collapseCell(chains: readonly EvalPoint[][]): string {
  const cells = chains.map((chain) => {
    const first = chain.find((p) => num(p, 'samples.unique') === 1);
    if (first) return `gen ${first.place.generation}`;
    const last = [...chain].reverse().find((p) => num(p, 'samples.unique') !== undefined);
    return last ? `not reached (${num(last, 'samples.unique')} at gen ${last.place.generation})` : 'samples.unique not recorded';
  });
  return [...new Set(cells)].length === 1 ? cells[0]! : cells.join('; ');
}

function lossAt(chain: readonly EvalPoint[], generation: number): number | undefined {
  const d0 = num(chain.find((p) => p.place.generation === 0), 'data.diversity');
  const div = num(chain.find((p) => p.place.generation === generation), 'samples.diversity');
  return d0 === undefined || div === undefined || d0 === 0 ? undefined : 1 - div / d0;
}

function lossCell(chains: readonly EvalPoint[][]): string {
  const at = chains.map((c) => lossAt(c, PAPER_GENERATION)).filter((v): v is number => v !== undefined);
  if (at.length) return `${summary(at, percent)}${at.length < chains.length ? ` (${at.length} of ${chains.length} seeds)` : ''}`;
  const last = Math.max(...chains.flatMap((c) => c.map((p) => p.place.generation ?? 0)));
  const there = chains.map((c) => lossAt(c, last)).filter((v): v is number => v !== undefined);
  const lastText = there.length ? `; at gen ${last}: ${summary(there, percent)}` : '';
  return `not in this run (no gen ${PAPER_GENERATION}${lastText})`;
}

function correctnessCell(chains: readonly EvalPoint[][]): string {
  const first = chains.map((c) => num(c.find((p) => p.place.generation === 0), 'samples.semantic')).filter((v): v is number => v !== undefined);
  const lasts = chains.map((c) => [...c].reverse().find((p) => num(p, 'samples.semantic') !== undefined)).filter((p) => p !== undefined);
  if (!first.length || !lasts.length) return 'samples.semantic not recorded';
  const gen = Math.max(...lasts.map((p) => p.place.generation ?? 0));
  return `${summary(first, fixed)} → ${summary(lasts.map((p) => num(p, 'samples.semantic')!), fixed)} (gen ${gen})`;
}

/** One row per series of the lock; paper cells a series has no counterpart for read "not in the paper". */
export function paperTable(lock: LockFile): { header: readonly string[]; rows: string[][] } {
  const points = evalPoints(lock);
  const series = new Map<string, EvalPoint[]>();
  for (const group of seedGroups(points)) {
    const label = seriesLabel(group.place);
    series.set(label, [...(series.get(label) ?? []), ...group.points]);
  }
  const rows = [...series.entries()].map(([label, own]) => {
    const { cycle, lambda } = own[0]!.place;
    const paper = PAPER.find((f) => f.cycle === cycle && (f.lambda === undefined || f.lambda === lambda));
    const chains = [...bySeed(own).values()];
    const none = 'not in the paper';
    return [
      label, String(chains.length),
      paper?.collapse ?? none, collapseCell(chains),
      paper?.loss ?? none, lossCell(chains),
      paper?.correctness ?? none, correctnessCell(chains),
    ];
  });
  // The paper's configurations this run does not have, so that the table shows what is left to run.
  const places = [...series.values()].map((own) => own[0]!.place);
  for (const f of PAPER) {
    if (places.some((p) => p.cycle === f.cycle && (f.lambda === undefined || f.lambda === p.lambda))) continue;
    const missing = 'not in this run';
    rows.push([seriesLabel({ cycle: f.cycle, lambda: f.lambda, extra: {} }), '0', f.collapse, missing, f.loss, missing, f.correctness, missing]);
  }
  return { header: PAPER_HEADER, rows };
}
