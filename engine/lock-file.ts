/**
 * pipeline.lock, the one schema of it: repro writes it (engine/repro.ts), `metrics`, `report` and the tests read
 * it. Every committed node under each of its ids, keys sorted, 2-space JSON with a trailing newline, so that git
 * diffs of it are small and `metrics diff` can read any version. Not the per-key file locks (engine/lock.ts).
 */
import { z } from 'zod';
import { sortedKeys } from './hash.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const lockFileSchema = z.object({
  version: z.literal(1),
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

export type LockFile = z.infer<typeof lockFileSchema>;
export type LockFileNode = LockFile['nodes'][string];
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
  if (version !== 1) {
    const found = version === undefined ? 'has no version field' : `is version ${JSON.stringify(version)}`;
    throw new Error(`${label} ${found}; this tool reads version 1 locks: rerun \`npx tsx pipeline.ts repro\` to write one`);
  }
  const parsed = lockFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${label} is not a pipeline.lock (version 1): ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}
