/**
 * build-dataset: D_{t+1} from D_0, D_t and S_t by one of the data cycles (docs/EXPERIMENT.md §4). n is the dataset
 * size and λ the share of generated data; "drawn from" means drawn uniformly without replacement, so duplicates
 * that S_t holds are drawn as often as they occur in it. Counts are k = round(λ·n) generated and n − k other rows.
 *
 * - full_synthetic:  D_{t+1} = S_t.
 * - balanced:        D_{t+1} = ⌊n/2⌋ drawn from D_0 ∪ n − ⌊n/2⌋ drawn from S_t.
 * - incremental(λ):  D_{t+1} = n − k drawn from D_t ∪ k drawn from S_t (the size stays n).
 * - expanding(λ):    D_{t+1} = D_t ∪ k drawn from S_t ∪ n − k fresh real examples (the task's real rows, in no
 *                    earlier dataset); the dataset grows by n each generation.
 * - accumulate:      D_{t+1} = D_t ∪ S_t: every real and every generated row is kept, so the dataset grows by n each
 *                    generation (Gerstgrasser et al. 2024); unlike expanding, no fresh real data comes in.
 *
 * S_t may be curated (stages/curate.ts) and then shorter than n. Whatever a cycle takes from it, it then takes
 * every curated row once and draws the shortfall from them with replacement, so the dataset's size and the
 * cycle's shares never depend on the curation.
 *
 * Periodic fresh data (fresh_every = k > 0, fresh_share = s), after any cycle: when (t+1) is a multiple of k,
 * f = round(s·n) synthetic rows of D_{t+1}, drawn uniformly, are replaced by f fresh real examples (as expanding's,
 * in no earlier dataset and not held out), or all its synthetic rows where it has fewer than f; real rows are
 * never replaced. The dataset's size stays what the cycle made it.
 *
 * Only incremental and expanding read λ, so only they carry it in their params (and cache keys): the other
 * cycles are shared across a λ sweep. Likewise only the datasets that take fresh rows carry fresh_every and
 * fresh_share, so a chain with fresh_every = k shares every node before D_k with the chain without fresh data.
 */
import { z } from 'zod';
import type { Rng } from '../common/rng.ts';
import { defineStage } from '../engine/stage.ts';
import type { LoadedTask } from '../tasks/task.ts';
import type { RowsTaskSlice } from '../tasks/registry.ts';
import type { ExpressionRow } from './dataset.ts';
import type { DataSection } from './gen-d0.ts';

/** What the pipeline knows of a data cycle: one entry of CYCLE_TABLE. */
export interface Cycle {
  /** Whether its formula reads λ: only such cycles carry it in their params, and so in their keys. */
  readsLambda: boolean;
  /** Whether it keeps D_t whole and adds n rows to it, so that D_t has n·(t + 1) rows rather than n. */
  grows: boolean;
  /** Whether it draws fresh real rows (freshRows) every generation. */
  drawsFresh: boolean;
  /** Why params.yaml refuses λ = 0 for it, where that would leave the cycle doing nothing. */
  zeroLambda?: string;
  /** The Vega colour scheme of its series in the report, shaded by λ. */
  scheme: string;
  build(params: BuildParams, data: CycleInputs, rng: Rng): ExpressionRow[];
}

/**
 * Every data cycle, in the paper's order (the order of the report's series and panels). Adding a cycle is adding an
 * entry: the params schema, the graph and the report read it from here.
 */
const cycles = {
  full_synthetic: {
    readsLambda: false,
    grows: false,
    drawsFresh: false,
    scheme: 'reds',
    build: (params, data, rng) => allSamples(data.samples, params.n, rng),
  },
  balanced: {
    readsLambda: false,
    grows: false,
    drawsFresh: false,
    scheme: 'greys',
    build: ({ n }, data, rng) => {
      const real = Math.floor(n / 2);
      return [...draw(data.d0, real, 'D_0', rng), ...drawSamples(data.samples, n - real, rng)];
    },
  },
  incremental: {
    readsLambda: true,
    grows: false,
    drawsFresh: false,
    zeroLambda: 'makes the incremental cycle never change D0',
    scheme: 'blues',
    build: (params, data, rng) => {
      const generated = generatedCount(params);
      return [...draw(data.current, params.n - generated, 'D_t', rng), ...drawSamples(data.samples, generated, rng)];
    },
  },
  expanding: {
    readsLambda: true,
    grows: true,
    drawsFresh: true,
    scheme: 'greens',
    build: (params, data, rng) => {
      const generated = generatedCount(params);
      const fresh = freshRows(params.n - generated, params, data, rng);
      return [...data.current, ...drawSamples(data.samples, generated, rng), ...fresh];
    },
  },
  accumulate: {
    readsLambda: false,
    grows: true,
    drawsFresh: false,
    scheme: 'purples',
    build: (params, data, rng) => [...data.current, ...allSamples(data.samples, params.n, rng)],
  },
} satisfies Record<string, Cycle>;

export type CycleName = keyof typeof cycles;
export const CYCLE_TABLE: Readonly<Record<CycleName, Cycle>> = cycles;
export const CYCLES = Object.keys(CYCLE_TABLE) as [CycleName, ...CycleName[]];
export const CYCLES_USING_LAMBDA: ReadonlySet<CycleName> = new Set(CYCLES.filter((c) => CYCLE_TABLE[c].readsLambda));

/** params.yaml's `cycle` section. */
export const cycleSection = z.strictObject({
  name: z.enum(CYCLES),
  /** Share of generated data; only the cycles that read it carry it. */
  lambda: z.number().min(0).max(1),
  /** Real data injected every k generations (into D_k, D_2k, …); 0 = never. */
  fresh_every: z.number().int().min(0).default(0),
  /** Share of n that each injection turns from synthetic rows into fresh real ones. */
  fresh_share: z.number().gt(0).max(1).default(0.5),
});
export type CycleSection = z.infer<typeof cycleSection>;

/** λ = 0 where it would leave the cycle doing nothing (Cycle.zeroLambda); checked on every sweep point. */
export function cycleProblems({ name, lambda }: CycleSection): string[] {
  const { zeroLambda } = CYCLE_TABLE[name];
  return zeroLambda !== undefined && lambda === 0 ? [`cycle.lambda = 0 ${zeroLambda}; expected a value in (0, 1]`] : [];
}

export type BuildParams = {
  cycle: CycleSection['name'];
  lambda?: CycleSection['lambda'];
  /** Only a dataset that takes fresh rows (freshInjection) carries these two. */
  fresh_every?: CycleSection['fresh_every'];
  fresh_share?: CycleSection['fresh_share'];
  n: DataSection['n'];
  /** t + 1: the generation of the dataset being built (fresh rows are stamped with it). */
  generation: number;
} & RowsTaskSlice;

export interface CycleInputs {
  d0: ExpressionRow[];
  current: ExpressionRow[];
  samples: ExpressionRow[];
  /** The node's task: the expanding cycle draws fresh real rows from it. */
  task: LoadedTask;
  /** The run's held-out real rows (stages/gen-heldout.ts; empty without one): no fresh draw may take them. */
  heldout: ReadonlySet<string>;
}

export function nextDataset(params: BuildParams, data: CycleInputs, rng: Rng): ExpressionRow[] {
  const rows = CYCLE_TABLE[params.cycle].build(params, data, rng);
  const { fresh_every = 0, fresh_share } = params;
  if (!freshInjection(fresh_every, params.generation)) return rows;
  if (fresh_share === undefined) throw new Error('an injection of fresh rows needs fresh_share');
  return injectFresh(rows, Math.round(fresh_share * params.n), params, data, rng);
}

/** Whether D_generation takes fresh real rows under fresh_every (0 = never). */
export function freshInjection(freshEvery: number, generation: number): boolean {
  return freshEvery > 0 && generation % freshEvery === 0;
}

/**
 * Whether building this dataset draws fresh real rows: only such a node reads the held-out rows (to draw around
 * them), so only its inputs, and so its seed, name them; every other node's draws stay what they were without.
 */
export function drawsFreshRows(params: BuildParams): boolean {
  return CYCLE_TABLE[params.cycle].drawsFresh || params.fresh_every !== undefined;
}

/** `rows` with `count` of its synthetic rows (all of them, where it has fewer), drawn uniformly, made fresh real rows. */
function injectFresh(
  rows: ExpressionRow[],
  count: number,
  params: BuildParams,
  data: CycleInputs,
  rng: Rng,
): ExpressionRow[] {
  const synthetic = rows.flatMap((r, i) => (r.origin === 'synthetic' ? [i] : []));
  const replaced = rng.sample(synthetic, Math.min(count, synthetic.length));
  const fresh = freshRows(replaced.length, params, data, rng);
  const out = rows.slice();
  replaced.forEach((at, i) => {
    out[at] = fresh[i];
  });
  return out;
}

/**
 * `count` fresh real rows of the task for D_{t+1}: not in D_t (for expanding, which keeps every earlier dataset, in
 * none of them; an injection into a cycle that drops D_t may bring back a row an older dataset had) and not held
 * out, so that the held-out perplexity measures rows no model trained on.
 */
function freshRows(count: number, params: BuildParams, data: CycleInputs, rng: Rng): ExpressionRow[] {
  return data.task
    .realRows({
      n: count,
      seed: rng.nextUint32(),
      exclude: new Set([...data.current.map((r) => r.expression), ...data.heldout]),
    })
    .map((expression) => ({ expression, origin: 'fresh' as const, generation: params.generation }));
}

/** k = round(λ·n), for the cycles that read λ. */
function generatedCount(params: BuildParams): number {
  if (params.lambda === undefined) throw new Error(`the ${params.cycle} cycle needs lambda`);
  return Math.round(params.lambda * params.n);
}

/** S_t whole: n rows, or all of a curated S_t that is shorter and its shortfall drawn with replacement. */
function allSamples(samples: readonly ExpressionRow[], n: number, rng: Rng): ExpressionRow[] {
  return samples.length >= n ? samples.slice() : topUp(samples, n, rng);
}

/** `count` rows of S_t: drawn without replacement, or topped up when a curated S_t has fewer. */
function drawSamples(samples: readonly ExpressionRow[], count: number, rng: Rng): ExpressionRow[] {
  return count <= samples.length ? rng.sample(samples, count) : topUp(samples, count, rng);
}

function topUp(rows: readonly ExpressionRow[], count: number, rng: Rng): ExpressionRow[] {
  if (rows.length === 0) throw new Error(`cannot take ${count} rows from S_t: it has none`);
  const extra = Array.from({ length: count - rows.length }, () => rows[rng.int(rows.length)]);
  return [...rows, ...extra];
}

function draw(rows: readonly ExpressionRow[], count: number, name: string, rng: Rng): ExpressionRow[] {
  if (count > rows.length) {
    throw new Error(`cannot draw ${count} rows from ${name}: it has only ${rows.length}`);
  }
  return rng.sample(rows, count);
}

export default defineStage<BuildParams>({
  name: 'build-dataset',
  module: new URL('./run/build-dataset.ts', import.meta.url).href,
  inputs: ['d0', 'dataset', 'samples'],
  optionalInputs: ['heldout'],
  outputs: ['dataset'],
});
