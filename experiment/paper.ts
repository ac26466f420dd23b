/**
 * "Paper vs this run": the figures docs/EXPERIMENT.md §6 quotes from Briesch et al. next to the same figures read
 * from a lock. Per pair of a paper configuration and a series of the run: the generation where the unique count of
 * S_t first reaches 1 (else its value at the last generation), the diversity loss at the paper's generation 50
 * (1 − diversity of S_49 / diversity of D_0), and semantic correctness from generation 0 to the last. A figure the
 * run lacks says so; nothing is extrapolated.
 *
 * Generations are this tool's t everywhere (M_t is trained on D_t and samples S_t; M_0 on D_0). The paper calls the
 * model trained on D_0 generation 1, so its generation g is t = g − 1 (docs/EXPERIMENT.md, "Generation numbering").
 */
import type { LockFile } from '../engine/store/lock-file.ts';
import { evalPoints, type EvalPoint, type Place } from './eval-points.ts';
import { seedGroups, seedStat } from './seeds.ts';
import { seriesLabel } from './report-charts.ts';

/** This tool's t for the paper's generation g: the paper's generation 1 is the model trained on D_0, M_0 here. */
export const toolGeneration = (paperGeneration: number): number => paperGeneration - 1;

/** The generation the paper's diversity losses are read at: its generation 50, M_49 and S_49 here. */
const LOSS_T = toolGeneration(50);

/** A series of the run a paper figure is compared with. */
interface Counterpart {
  cycle: string;
  /** Unset: every λ the run has for the cycle (the cycle ignores λ, or the paper does not state it). */
  lambda?: number;
}

interface PaperFigures {
  /** The paper's configuration, with its λ or "λ not stated". */
  configuration: string;
  counterparts: readonly Counterpart[];
  collapse: string;
  loss: string;
  correctness: string;
}

// docs/EXPERIMENT.md §6, with its source marks: [AI] machine-written reviews of the ICLR 2025 text, [HR] a human
// ICLR 2025 review. The paper's generations converted to t. Figures it does not state (a λ, a loss) are not made up.
const RISES = 'rises [AI, HR]';
const PAPER: readonly PaperFigures[] = [
  {
    configuration: 'full synthetic',
    counterparts: [{ cycle: 'full_synthetic' }],
    collapse: `t = ${toolGeneration(39)} (its generation 39) [AI]`,
    loss: 'not stated',
    correctness: `100% True by t = ${toolGeneration(6)} (its generation 6) [one AI review]`,
  },
  {
    configuration: 'balanced',
    counterparts: [{ cycle: 'balanced' }],
    collapse: 'not stated',
    loss: '≈30% [AI]',
    correctness: RISES,
  },
  {
    configuration: 'incremental, λ not stated',
    counterparts: [{ cycle: 'incremental' }],
    collapse: 'not stated',
    loss: '≈68% [AI]',
    correctness: RISES,
  },
  {
    configuration: 'expanding, fresh share not stated',
    counterparts: [{ cycle: 'expanding' }],
    collapse: 'not stated',
    loss: '≈22% [AI]',
    correctness: RISES,
  },
  {
    configuration: 'expanding, 25% fresh (λ = 0.75)',
    counterparts: [{ cycle: 'expanding', lambda: 0.75 }],
    collapse: 'not stated',
    loss: '≈11% [AI]',
    correctness: RISES,
  },
  {
    configuration: 'expanding, 0% fresh (accumulate, or expanding λ = 1)',
    counterparts: [{ cycle: 'accumulate' }, { cycle: 'expanding', lambda: 1 }],
    collapse: 'not stated',
    loss: '≈36% [AI]',
    correctness: RISES,
  },
];

const matches = (c: Counterpart, place: Place) =>
  c.cycle === place.cycle && (c.lambda === undefined || c.lambda === place.lambda);

export const PAPER_HEADER = [
  'paper: configuration',
  'this run: series',
  'seeds',
  'unique count reaches 1, at t (paper generation = t + 1): paper',
  'this run',
  `diversity loss at t = ${LOSS_T} (paper generation ${LOSS_T + 1}): paper`,
  'this run',
  'semantic: paper',
  'this run (t = 0 → last)',
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

/** Per seed: "t = G" where unique first is 1, or "not reached (U at t = L)". */
function collapseCell(chains: readonly EvalPoint[][]): string {
  const cells = chains.map((chain) => {
    const first = chain.find((p) => num(p, 'samples.unique') === 1);
    if (first) return `t = ${first.place.generation}`;
    const last = [...chain].reverse().find((p) => num(p, 'samples.unique') !== undefined);
    return last
      ? `not reached (${num(last, 'samples.unique')} at t = ${last.place.generation})`
      : 'samples.unique not recorded';
  });
  return [...new Set(cells)].length === 1 ? cells[0]! : cells.join('; ');
}

function lossAt(chain: readonly EvalPoint[], generation: number): number | undefined {
  const d0 = num(
    chain.find((p) => p.place.generation === 0),
    'data.diversity',
  );
  const div = num(
    chain.find((p) => p.place.generation === generation),
    'samples.diversity',
  );
  return d0 === undefined || div === undefined || d0 === 0 ? undefined : 1 - div / d0;
}

function lossCell(chains: readonly EvalPoint[][]): string {
  const at = chains.map((c) => lossAt(c, LOSS_T)).filter((v): v is number => v !== undefined);
  if (at.length)
    return `${summary(at, percent)}${at.length < chains.length ? ` (${at.length} of ${chains.length} seeds)` : ''}`;
  const last = Math.max(...chains.flatMap((c) => c.map((p) => p.place.generation ?? 0)));
  const there = chains.map((c) => lossAt(c, last)).filter((v): v is number => v !== undefined);
  const lastText = there.length ? `; at t = ${last}: ${summary(there, percent)}` : '';
  return `not in this run (no t = ${LOSS_T}${lastText})`;
}

function correctnessCell(chains: readonly EvalPoint[][]): string {
  const first = chains
    .map((c) =>
      num(
        c.find((p) => p.place.generation === 0),
        'samples.semantic',
      ),
    )
    .filter((v): v is number => v !== undefined);
  const lasts = chains
    .map((c) => [...c].reverse().find((p) => num(p, 'samples.semantic') !== undefined))
    .filter((p) => p !== undefined);
  if (!first.length || !lasts.length) return 'samples.semantic not recorded';
  const gen = Math.max(...lasts.map((p) => p.place.generation ?? 0));
  return `${summary(first, fixed)} → ${summary(
    lasts.map((p) => num(p, 'samples.semantic')!),
    fixed,
  )} (t = ${gen})`;
}

/**
 * One row per pair of a paper configuration and a series of the run it matches: a configuration whose λ the paper
 * does not state gets a row for every λ the run has for that cycle, each labelled; one the run lacks gets a row
 * "not in this run", and a series no configuration matches gets one whose paper cells read "not in the paper".
 */
export function paperTable(lock: LockFile): { header: readonly string[]; rows: string[][] } {
  const points = evalPoints(lock);
  const series = new Map<string, EvalPoint[]>();
  for (const group of seedGroups(points)) {
    const label = seriesLabel(group.place);
    series.set(label, [...(series.get(label) ?? []), ...group.points]);
  }
  const runCells = (label: string, own: readonly EvalPoint[]) => {
    const chains = [...bySeed(own).values()];
    return {
      label,
      seeds: String(chains.length),
      collapse: collapseCell(chains),
      loss: lossCell(chains),
      correctness: correctnessCell(chains),
    };
  };
  const row = (
    f: Pick<PaperFigures, 'configuration' | 'collapse' | 'loss' | 'correctness'>,
    run: ReturnType<typeof runCells>,
  ) => [
    f.configuration,
    run.label,
    run.seeds,
    f.collapse,
    run.collapse,
    f.loss,
    run.loss,
    f.correctness,
    run.correctness,
  ];
  const matched = new Set<string>();
  const rows = PAPER.flatMap((f) => {
    const own = [...series.entries()].filter(([, points]) => f.counterparts.some((c) => matches(c, points[0]!.place)));
    for (const [label] of own) matched.add(label);
    if (!own.length) {
      // So that the table shows what is left to run.
      const missing = 'not in this run';
      return [row(f, { label: missing, seeds: '0', collapse: missing, loss: missing, correctness: missing })];
    }
    return own.map(([label, points]) => row(f, runCells(label, points)));
  });
  const none = 'not in the paper';
  for (const [label, points] of series) {
    if (!matched.has(label))
      rows.push(row({ configuration: none, collapse: none, loss: none, correctness: none }, runCells(label, points)));
  }
  return { header: PAPER_HEADER, rows };
}
