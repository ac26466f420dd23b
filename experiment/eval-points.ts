/**
 * A pipeline.lock (engine/store/lock-file.ts) as the reading commands see it: its eval nodes placed in the experiment
 * (cycle, λ, seed, generation and any other swept key), and the order in which every table lists them.
 */
import type { LockFile, LockFileNode, LockFileScalar } from '../engine/store/lock-file.ts';
import evaluate from '../stages/eval.ts';
import { EVAL_METRICS } from '../tasks/logic/index.ts';
import { headlineMetrics } from '../tasks/registry.ts';
import { CYCLES } from './params.ts';

/** A metric value as shown: the recorded value, or why there is none. Never a made-up 0. */
export type Cell = LockFileScalar | null;
export const NOT_RUN = 'not run';
/** The node ran but did not record this metric. */
export const NO_VALUE = 'n/a';

/** The perplexities of eval.perplexity (stages/eval.ts), as the literature measures collapse; heldout.rows is their count. */
export const PERPLEXITY_METRICS = ['heldout.perplexity', 'samples.perplexity_m0'] as const;

/** Cycles and eval metrics in the order the paper discusses them; unknown names sort after, alphabetically. */
export const KNOWN_METRICS: readonly string[] = [...EVAL_METRICS, ...PERPLEXITY_METRICS, 'heldout.rows'];

/**
 * The metrics every reading command shows by default among those `recorded`: the task's headline metrics
 * (tasks/registry.ts headlineMetrics), then the perplexities where the lock has them.
 */
export function defaultMetrics(recorded: readonly string[]): string[] {
  return [...headlineMetrics(recorded), ...PERPLEXITY_METRICS.filter((m) => recorded.includes(m))];
}

/** The tags that place an eval node in the experiment; `extra` holds any other swept key (e.g. model.width). */
export interface Place {
  cycle: string;
  lambda?: number;
  seed?: number;
  generation?: number;
  extra: Record<string, LockFileScalar>;
}

export interface EvalPoint {
  node: string;
  /** The chain it is a point of (`cycle=balanced/seed=1`); a node several chains share is a point of each. */
  chain: string;
  place: Place;
  metrics: Record<string, Cell>;
}

/** A lock node as one chain sees it: its tags completed with the chain's labels. */
export interface ChainNode {
  id: string;
  node: LockFileNode;
  chain: string;
  tags: Record<string, LockFileScalar>;
}

/** A node id's labels, `train/cycle=balanced/seed=1/gen=3` → cycle=balanced, seed=1. */
export const labelsOfId = (id: string): string[] =>
  id
    .split('/')
    .slice(1)
    .filter((part) => !part.startsWith('gen='));

// A label's value as the graph wrote it: numbers as their text (experiment/graph.ts labelsOf).
function labelValue(text: string): LockFileScalar {
  return /^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(text) ? Number(text) : text;
}

/** Whether a chain has every one of these labels. */
const within = (labels: readonly string[], chain: readonly string[]): boolean =>
  labels.every((label) => chain.includes(label));

/**
 * The lock's chains: those its params record, and the label sets of its nodes that no other chain holds (a lock
 * without params, an overlay, a node added by hand).
 */
function lockChains(lock: LockFile): string[][] {
  // Every chain the params record is one, even where another block's chain has all its labels and more
  // (cycle=full_synthetic/seed=1 beside cycle=full_synthetic/seed=1/data.distinct=50); a node's label set is a chain
  // only where no other chain or node holds all its labels and more (it is then no shared node).
  const recorded = Object.keys(lock.params?.chains ?? {}).map((name) => name.split('/'));
  const fromNodes = Object.keys(lock.nodes).map(labelsOfId);
  const unique = [...new Map([...recorded, ...fromNodes].map((labels) => [labels.join('/'), labels])).values()];
  const names = new Set(recorded.map((labels) => labels.join('/')));
  const inLarger = (labels: string[]) => unique.some((o) => o.length > labels.length && within(labels, o));
  return unique.filter((labels) => names.has(labels.join('/')) || !inLarger(labels));
}

/**
 * The lock's nodes of one stage, chain by chain. A node is named by the labels it depends on (experiment/graph.ts),
 * so it belongs to every chain that has those labels: generation 0, which no cycle reads, is a node of each cycle.
 */
export function chainNodes(lock: LockFile, stage: string): ChainNode[] {
  const chains = lockChains(lock);
  const matches = Object.entries(lock.nodes)
    .filter(([, node]) => node.stage === stage)
    .flatMap(([id, node]) => {
      const own = labelsOfId(id);
      return chains
        .filter((chain) => within(own, chain))
        .map((chain) => ({ id, node, chain, specificity: own.length }));
    });
  // Of the nodes of one generation whose labels a chain has, the chain's own is the one with the most: a chain of
  // one sweep block may carry every label of another block's chain and one more (data.distinct=50), and the less
  // specific node is then the other chain's, not a shared one.
  const slot = ({ chain, node }: (typeof matches)[number]) => `${chain.join('/')}\n${node.tags.generation ?? ''}`;
  const mostSpecific = new Map<string, number>();
  for (const match of matches)
    mostSpecific.set(slot(match), Math.max(mostSpecific.get(slot(match)) ?? 0, match.specificity));
  return matches
    .filter((match) => mostSpecific.get(slot(match)) === match.specificity)
    .map(({ id, node, chain }) => {
      const labels = chain.map((label) => {
        const eq = label.indexOf('=');
        return [label.slice(0, eq), labelValue(label.slice(eq + 1))];
      });
      return { id, node, chain: chain.join('/'), tags: { ...Object.fromEntries(labels), ...node.tags } };
    });
}

const PLACE_TAGS = new Set(['stage', 'cycle', 'lambda', 'seed', 'generation']);

function numberTag(value: LockFileScalar | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function placeOf(tags: Record<string, LockFileScalar>): Place {
  const extra = Object.fromEntries(Object.entries(tags).filter(([k]) => !PLACE_TAGS.has(k)));
  return {
    cycle: String(tags.cycle ?? '(none)'),
    lambda: numberTag(tags.lambda),
    seed: numberTag(tags.seed),
    generation: numberTag(tags.generation),
    extra,
  };
}

/** The lock's eval nodes as points of each chain they belong to, sorted by cycle, λ, other swept keys, seed and generation. */
export function evalPoints(lock: LockFile): EvalPoint[] {
  const points = chainNodes(lock, evaluate.name).map(({ id, node, chain, tags }) => ({
    node: id,
    chain,
    place: placeOf(tags),
    metrics: node.metrics,
  }));
  return sortByPlace(points, (p) => p.place);
}

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
export function extraKeys(places: readonly Place[]): string[] {
  return [...new Set(places.flatMap((p) => Object.keys(p.extra)))].sort();
}

/** Sorts by cycle (paper order), λ, the other swept keys, seed, generation, then `tiebreak`; stable. */
export function sortByPlace<T>(
  items: readonly T[],
  placeOfItem: (item: T) => Place,
  tiebreak?: (a: T, b: T) => number,
): T[] {
  const keys = extraKeys(items.map(placeOfItem));
  const tuple = (p: Place) => [
    rank(CYCLES, p.cycle),
    p.cycle,
    p.lambda,
    ...keys.map((k) => p.extra[k]),
    p.seed,
    p.generation,
  ];
  return [...items].sort(
    (a, b) => compareTuples(tuple(placeOfItem(a)), tuple(placeOfItem(b))) || (tiebreak?.(a, b) ?? 0),
  );
}

/**
 * The metric names of these points, known ones first in their order: the figures, not the backend and kernels an
 * eval node that runs a model for the perplexities records beside them (stages/backend.ts).
 */
export function metricNames(points: readonly EvalPoint[]): string[] {
  const names = new Set(
    points.flatMap((p) =>
      Object.entries(p.metrics).flatMap(([name, value]) => (typeof value === 'number' ? [name] : [])),
    ),
  );
  return [...names].sort((a, b) => compareNames(KNOWN_METRICS, a, b));
}

/**
 * `--metric` names as every command takes them: a metric's full name, or its part after `samples.` (`diversity` is
 * `samples.diversity`). An unknown name is an error naming it and listing the known ones.
 */
export function resolveMetricNames(names: readonly string[], known: readonly string[], where: string): string[] {
  return names.map((name) => {
    const found = [name, `samples.${name}`].find((n) => known.includes(n));
    if (!found) throw new Error(`--metric ${name}: no such eval metric in ${where}; known: ${known.join(', ')}`);
    return found;
  });
}

/** What a lock without eval nodes holds instead, for a message that says what is missing. */
export function withoutEval(lock: LockFile, label: string): string {
  const stages = new Map<string, number>();
  for (const node of Object.values(lock.nodes)) stages.set(node.stage, (stages.get(node.stage) ?? 0) + 1);
  const held = stages.size
    ? `it holds ${[...stages].map(([s, n]) => `${n} ${s}`).join(', ')} node(s)`
    : 'it holds no nodes';
  return `no eval nodes in ${label}: ${held}. Run \`npx tsx pipeline.ts repro\` until the eval nodes have run.`;
}
