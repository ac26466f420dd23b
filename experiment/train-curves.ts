/**
 * Training curves for the report: the validation loss per step of each generation's model along one chain, read
 * from the `log` output of the lock's train nodes (model/train.ts writes it: step, train_loss, val_loss, lr). The
 * lock holds only the log's hash; the table itself is in the store, which may not hold it (a lock made elsewhere).
 */
import type { Store } from '../engine/store/store.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import trainStage from '../stages/train.ts';
import { chainNodes, compareValues, type ChainNode } from './eval-points.ts';
import type { CurvePoint } from './report-charts.ts';

// The cycle whose curves the report draws unless asked: the paper's fully synthetic loop, where collapse shows.
const DEFAULT_CURVES_CYCLE = 'full_synthetic';

export type Curves = { chain: string; points: CurvePoint[] } | { chain: string; missing: string };

/** "cycle=balanced,seed=1" to tags; a bare value is refused with the form expected. */
export function parseChain(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--chain ${text}: expected TAG=VALUE[,TAG=VALUE…], e.g. cycle=full_synthetic,seed=1`);
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return tags;
}

/**
 * The train nodes of the chain matching `wanted` (every tag but generation equal as text), or when `wanted` is empty
 * of the full-synthetic chain (the paper's collapse), else the first in cycle, λ and seed order. Several chains
 * matching is an error naming two of them.
 */
function chainNodesOf(
  lock: LockFile,
  wanted: Record<string, string>,
): { chain: string; nodes: ChainNode[] } | { chain: string; missing: string } {
  const chainOf = (tags: Record<string, unknown>) =>
    Object.entries(tags)
      .filter(([k]) => k !== 'generation' && k !== 'stage')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  const matching = chainNodes(lock, trainStage.name).filter((n) =>
    Object.entries(wanted).every(([k, v]) => String(n.tags[k]) === v),
  );
  const chains = [...new Set(matching.map((n) => chainOf(n.tags)))].sort(compareValues);
  const asked = Object.entries(wanted)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (chains.length === 0)
    return {
      chain: asked || '(any)',
      missing: `no train node in the lock matches ${asked ? `--chain ${asked}` : 'any chain'}`,
    };
  if (chains.length > 1 && asked)
    throw new Error(
      `--chain ${asked} matches ${chains.length} chains (${chains.slice(0, 2).join('; ')}, …): add tags to pick one`,
    );
  const chain = chains.find((c) => c.split(',').includes(`cycle=${DEFAULT_CURVES_CYCLE}`)) ?? chains[0]!;
  return { chain, nodes: matching.filter((n) => chainOf(n.tags) === chain) };
}

export async function loadTrainingCurves(
  lock: LockFile,
  store: Store,
  wanted: Record<string, string>,
): Promise<Curves> {
  const found = chainNodesOf(lock, wanted);
  if ('missing' in found) return found;
  const points: CurvePoint[] = [];
  const absent: string[] = [];
  for (const { id, node } of found.nodes) {
    const hash = node.outputs.log;
    if (!hash || !store.hasObject(hash)) {
      absent.push(id);
      continue;
    }
    const table = await store.getObject(hash);
    const [step, val] = [table.getChild('step'), table.getChild('val_loss')];
    if (!step || !val) throw new Error(`the training log ${hash} of ${id} has no step or val_loss column`);
    for (let i = 0; i < table.numRows; i++) {
      const loss = val.get(i) as number | null;
      if (loss !== null)
        points.push({ generation: Number(node.tags.generation), step: Number(step.get(i)), val_loss: loss });
    }
  }
  if (absent.length)
    return {
      chain: found.chain,
      missing: `the store at ${store.root} lacks the training logs of ${absent.length} of ${found.nodes.length} train nodes (first: ${absent[0]})`,
    };
  return { chain: found.chain, points };
}
