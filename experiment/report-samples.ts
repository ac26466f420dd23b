/**
 * The report's samples: per series (the chain of its first seed) and chosen generations, the most frequent samples
 * of S_t with their counts and a few drawn at random, and the length and depth distributions of those S_t against
 * D_0. The lock holds only hashes; the tables are in the store, which may not hold them (a lock made elsewhere).
 */
import { Rng } from '../common/rng.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import type { Store } from '../engine/store/store.ts';
import { checkExpression } from '../logic/check.ts';
import { expressionsOf } from '../stages/dataset.ts';
import genD0 from '../stages/gen-d0.ts';
import sampleStage from '../stages/sample.ts';
import { chainNodes, compareValues } from './eval-points.ts';
import { withoutSeed } from './provenance.ts';

const TOP = 8;
const RANDOM = 4;

export interface SampleView {
  series: string;
  chain: string;
  generation: number;
  rows: number;
  unique: number;
  top: Array<{ expression: string; count: number }>;
  /** Drawn without replacement by a generator seeded with the chain and generation, so a report is reproducible. */
  random: string[];
}

/** Share of a set's rows at one length (tokens) or depth; depth counts only rows that parse. */
export interface ShapePoint {
  series: string;
  set: string;
  measure: 'length' | 'depth';
  value: number;
  share: number;
}

export type Samples = { views: SampleView[]; shapes: ShapePoint[] } | { missing: string };

function shapes(series: string, set: string, expressions: readonly string[]): ShapePoint[] {
  const counts = { length: new Map<number, number>(), depth: new Map<number, number>() };
  let parsed = 0;
  for (const text of expressions) {
    const verdict = checkExpression(text);
    counts.length.set(verdict.tokens, (counts.length.get(verdict.tokens) ?? 0) + 1);
    if (verdict.depth !== undefined) {
      parsed++;
      counts.depth.set(verdict.depth, (counts.depth.get(verdict.depth) ?? 0) + 1);
    }
  }
  const totals = { length: expressions.length, depth: parsed };
  return (['length', 'depth'] as const).flatMap((measure) =>
    [...counts[measure]]
      .sort(([a], [b]) => a - b)
      .map(([value, n]) => ({ series, set, measure, value, share: n / totals[measure] })),
  );
}

function view(series: string, chain: string, generation: number, expressions: readonly string[]): SampleView {
  const counts = new Map<string, number>();
  for (const e of expressions) counts.set(e, (counts.get(e) ?? 0) + 1);
  const top = [...counts]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, TOP)
    .map(([expression, count]) => ({ expression, count }));
  const rng = new Rng(`${chain}/gen=${generation}`);
  const order = expressions.map((_, i) => i);
  const picks = Math.min(RANDOM, order.length);
  for (let i = 0; i < picks; i++) {
    const j = i + rng.int(order.length - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return {
    series,
    chain,
    generation,
    rows: expressions.length,
    unique: counts.size,
    top,
    random: order.slice(0, picks).map((i) => expressions[i]!),
  };
}

/** `generations`: which to show (default: 0 and each chain's last); one the chain lacks is skipped. */
export async function loadSamples(lock: LockFile, store: Store, generations?: readonly number[]): Promise<Samples> {
  const sampleNodes = chainNodes(lock, sampleStage.name);
  const chains = new Map<string, string>();
  for (const chain of [...new Set(sampleNodes.map((n) => n.chain))].sort(compareValues)) {
    if (!chains.has(withoutSeed(chain))) chains.set(withoutSeed(chain), chain);
  }
  if (chains.size === 0) return { missing: 'the lock has no sample nodes' };
  const read = async (id: string, output: string): Promise<string[] | string> => {
    const hash = lock.nodes[id]?.outputs[output];
    if (!hash) return `the lock has no ${output} of ${id}`;
    if (!store.hasObject(hash)) return `the store at ${store.root} lacks ${id}'s ${output} (${hash})`;
    return expressionsOf(await store.getObject(hash));
  };
  const views: SampleView[] = [];
  const points: ShapePoint[] = [];
  for (const [series, chain] of chains) {
    const own = sampleNodes
      .filter((n) => n.chain === chain)
      .map(({ id, node }) => ({ id, generation: Number(node.tags.generation) }));
    const last = Math.max(...own.map((n) => n.generation));
    const wanted = own
      .filter((n) => (generations ?? [0, last]).includes(n.generation))
      .sort((a, b) => a.generation - b.generation);
    const d0 = chainNodes(lock, genD0.name).find((n) => n.chain === chain);
    if (!d0) return { missing: `the lock has no ${genD0.name} node of ${chain}` };
    const real = await read(d0.id, 'dataset');
    if (typeof real === 'string') return { missing: real };
    points.push(...shapes(series, 'D_0', real));
    for (const { id, generation } of wanted) {
      const samples = await read(id, 'samples');
      if (typeof samples === 'string') return { missing: samples };
      views.push(view(series, chain, generation, samples));
      points.push(...shapes(series, `S_${generation}`, samples));
    }
  }
  return { views, shapes: points };
}
