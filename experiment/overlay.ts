/**
 * Several locks as one, for a report that overlays their series on the same charts: every node gets, in its id and
 * tags, the params that tell its lock from the others (read from what each lock records), or the lock's name where
 * the params do not tell them apart or a lock records none. The charts then draw each lock's series as their own.
 */
import { LOCK_VERSION, type LockFile, type LockFileScalar } from '../engine/store/lock-file.ts';
import { baseParams } from './provenance.ts';
import type { NamedLock } from './exp-show.ts';

export interface OverlayPart extends NamedLock {
  tags: Record<string, LockFileScalar>;
}

export interface Overlay {
  lock: LockFile;
  /** Per lock overlaid: the tags that tell it apart. */
  parts: OverlayPart[];
}

export function overlayLocks(locks: readonly NamedLock[]): Overlay {
  const bases = locks.map((l) => (l.lock.params ? baseParams(l.lock.params) : undefined));
  const keys = [...new Set(bases.flatMap((b) => Object.keys(b ?? {})))].sort();
  const differing = keys.filter((k) => new Set(bases.map((b) => JSON.stringify(b?.[k]))).size > 1);
  const byParams = bases.every((b) => b !== undefined) && differing.length > 0;
  const parts = locks.map(
    ({ label, lock }, i): OverlayPart => ({
      label,
      lock,
      tags: byParams
        ? Object.fromEntries(
            differing.map((k) => {
              const v = bases[i]![k];
              return [k, typeof v === 'object' || v === undefined ? JSON.stringify(v) : (v as LockFileScalar)];
            }),
          )
        : { lock: label },
    }),
  );
  if (new Set(parts.map((p) => JSON.stringify(p.tags))).size < locks.length) {
    throw new Error(
      `two of the locks overlaid (${locks.map((l) => l.label).join(', ')}) are the same lock or name the same file`,
    );
  }
  const nodes: LockFile['nodes'] = {};
  for (const { lock, tags } of parts) {
    const prefix = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
    for (const [id, node] of Object.entries(lock.nodes)) {
      const [stage, ...rest] = id.split('/');
      nodes[[stage, ...prefix, ...rest].join('/')] = { ...node, tags: { ...node.tags, ...tags } };
    }
  }
  return { lock: { version: LOCK_VERSION, nodes }, parts };
}
