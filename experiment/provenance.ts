/**
 * The params a lock's results were made with (engine/store/lock-file.ts's `params`): what repro records, and what the
 * reading commands (`params diff`, `metrics diff`, `exp show`, `report`) take from a lock instead of from whatever
 * params file sits in the working tree.
 */
import type { LockParams } from '../engine/store/lock-file.ts';
import { canonicalJson } from '../engine/store/hash.ts';
import type { Json } from '../engine/stage.ts';
import { flatten } from './compare.ts';
import { chainName } from './graph.ts';
import { sweepCombinations, type ParamsFile } from './params.ts';

/** What repro records: the file, its overrides, the params after them, and each chain's swept keys. */
export function recordParams(params: ParamsFile, source: string, overrides: readonly string[]): LockParams {
  const chains: LockParams['chains'] = {};
  for (const point of sweepCombinations(params)) {
    const name = chainName(point);
    const assignment = point.assignment as Record<string, Json>;
    const known = chains[name];
    // Points that differ only in a key their cycle does not read (λ of balanced) are one chain: it keeps the keys
    // they agree on.
    chains[name] = known
      ? Object.fromEntries(Object.entries(known).filter(([k, v]) => canonicalJson(v) === canonicalJson(assignment[k])))
      : assignment;
  }
  return {
    source,
    overrides: [...overrides],
    resolved: JSON.parse(JSON.stringify(params)) as LockParams['resolved'],
    chains,
  };
}

/** A chain without its seed: the series whose seeds are replicates. */
export function withoutSeed(chain: string): string {
  return chain
    .split('/')
    .filter((part) => !part.startsWith('seed='))
    .join('/');
}

/**
 * What `params diff` compares: every resolved key, the sweep as lists, and each key the command line set, as
 * `--set KEY` with the text given (the last of repeated ones, as --set applies them), so a diff names only the
 * overrides that differ.
 */
export function comparableParams(recorded: LockParams): Record<string, unknown> {
  const overrides = recorded.overrides.map((assignment) => {
    const eq = assignment.indexOf('=');
    return [`--set ${assignment.slice(0, eq)}`, assignment.slice(eq + 1)];
  });
  return { ...recorded.resolved, ...Object.fromEntries(overrides) };
}

/** The resolved params without the sweep, as dotted keys: what every chain of the lock shares before its own keys. */
export function baseParams(recorded: LockParams): Record<string, unknown> {
  const { sweep: _sweep, ...base } = recorded.resolved;
  return flatten(base);
}

/** One chain's concrete params as dotted keys: the resolved params without the sweep, with the chain's keys set. */
export function chainParams(recorded: LockParams, chain: string): Record<string, unknown> {
  const assignment = recorded.chains[chain];
  if (!assignment)
    throw new Error(`the lock's params name no chain '${chain}' (chains: ${Object.keys(recorded.chains).join(', ')})`);
  return { ...baseParams(recorded), ...assignment };
}
