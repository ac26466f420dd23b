/**
 * pipeline.lock, the one schema of it: repro writes it (engine/run/repro.ts), `metrics`, `report` and the tests read
 * it. Every committed node under each of its ids, keys sorted, 2-space JSON with a trailing newline, so that git
 * diffs of it are small and `metrics diff` can read any version. Not the per-key file locks (engine/store/lock.ts).
 *
 * Version 2 adds `params`, what the graph was made from, so that a lock's results carry their params. Version 1
 * locks (from before) are still read; they have no `params`, and the commands that need them say so.
 */
import { z } from 'zod';
import { sortedKeys } from './hash.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const json = z.json();
const lockParamsSchema = z.object({
  /** The params file as given to repro (-p). */
  source: z.string(),
  /** The `--set` overrides, in order. */
  overrides: z.array(z.string()),
  /** The params after the overrides, sweep block included. */
  resolved: z.record(z.string(), json),
  /** Per chain (node ids without stage and generation): the dotted keys its sweep point sets. */
  chains: z.record(z.string(), z.record(z.string(), json)),
});
const lockFileSchema = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
  params: lockParamsSchema.optional(),
  nodes: z.record(
    z.string(),
    z.object({
      stage: z.string(),
      key: z.string(),
      outputs: z.record(z.string(), z.string()).default({}),
      metrics: z.record(z.string(), z.union([scalar, z.null()])).default({}),
      tags: z.record(z.string(), scalar).default({}),
    }),
  ),
});

export const LOCK_VERSION = 2;
export type LockFile = z.infer<typeof lockFileSchema>;
export type LockFileNode = LockFile['nodes'][string];
export type LockParams = z.infer<typeof lockParamsSchema>;
/** A tag's or metric's value in the lock file. */
export type LockFileScalar = z.infer<typeof scalar>;

export function formatLockFile(lockFile: LockFile): string {
  return JSON.stringify(sortedKeys(lockFile), null, 2) + '\n';
}

/** Parses a lock file's text; `label` names it in the error (a path, or a git revision's file). */
export function parseLockFile(text: string, label: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${label} is not JSON: ${(error as Error).message}`);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (version !== 1 && version !== 2) {
    const found = version === undefined ? 'has no version field' : `is version ${JSON.stringify(version)}`;
    throw new Error(
      `${label} ${found}; this tool reads version 1 and 2 locks: rerun \`npx tsx pipeline.ts repro\` to write one`,
    );
  }
  const parsed = lockFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${label} is not a pipeline.lock (version ${version}): ${issue.path.join('.') || 'top level'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** The lock's params, or an error saying why it has none (an older lock, or a graph that gave none). */
export function lockParams(lock: LockFile, label: string): LockParams {
  if (lock.params) return lock.params;
  throw new Error(noParams(lock, label));
}

export function noParams(lock: LockFile, label: string): string {
  return lock.version === 1
    ? `${label} records no params: it is a version 1 lock, written before locks recorded them; rerun repro to record them`
    : `${label} records no params: the graph that wrote it gave none`;
}
