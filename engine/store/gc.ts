/**
 * Garbage collection: what no kept run needs. Run records are the roots; everything they reference stays.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { asIOError, IOError } from '../../common/io-error.ts';
import { inspectLock } from './lock.ts';
import { listDir } from './files.ts';
import type { Store } from './store.ts';

export interface GcItem {
  kind: 'object' | 'temp file' | 'checkpoint' | 'unreadable run record' | 'stale lock';
  path: string;
  bytes: number;
}

export interface GcReport {
  items: GcItem[];
  deleted: boolean;
}

/**
 * Lists (and with `remove`, deletes) unreferenced objects, dead writers' temp files, checkpoints of committed
 * nodes, unreadable (or tampered) run records and stale locks. A deletion that fails (a read-only store) stops
 * gc with an IOError that says how many files were deleted before it.
 */
export function gc(store: Store, remove: boolean): GcReport {
  const { records, unreadable } = store.listRuns();
  const referenced = new Set(records.flatMap((r) => Object.values(r.outputs)));
  const committed = new Set(records.map((r) => r.key));
  const allLocks = locks(store);
  // An object is written a moment before its run record; while any node is running, spare objects newer than
  // the oldest running lock, or gc could delete an output whose record is about to be committed.
  const liveSince = Math.min(...allLocks.filter((l) => l.live).map((l) => l.since));
  const items: GcItem[] = [];
  const add = (kind: GcItem['kind'], path: string) => items.push({ kind, path, bytes: statSync(path).size });

  for (const file of listDir(join(store.root, 'objects'))) {
    if (!file.endsWith('.arrow') || referenced.has(file.slice(0, -'.arrow'.length))) continue;
    const path = join(store.root, 'objects', file);
    const { mtimeMs, size } = statSync(path);
    if (mtimeMs < liveSince) items.push({ kind: 'object', path, bytes: size });
  }
  for (const path of store.staleTempFiles()) add('temp file', path);
  for (const file of listDir(join(store.root, 'checkpoints'))) {
    if (file.endsWith('.arrow') && committed.has(file.slice(0, -'.arrow'.length)))
      add('checkpoint', join(store.root, 'checkpoints', file));
  }
  for (const path of unreadable) add('unreadable run record', path);
  for (const lock of allLocks) if (!lock.live) add('stale lock', lock.path);

  if (remove) {
    items.forEach((item, done) => {
      try {
        rmSync(item.path, { force: true });
      } catch (error) {
        const failure = asIOError(error, item.path);
        if (!(failure instanceof IOError)) throw error;
        throw new IOError(
          failure.code,
          failure.path,
          `${failure.message} (deleted ${done} of ${items.length} files before this one)`,
        );
      }
    });
    // Only after deleting: a store with nothing to collect may be read-only, and its index is as good as before.
    if (items.length) store.compactIndex(records);
  }
  return { items, deleted: remove };
}

function locks(store: Store): Array<{ path: string; live: boolean; since: number }> {
  const dir = join(store.root, 'locks');
  return listDir(dir)
    .filter((f) => f.endsWith('.lock'))
    .flatMap((file) => {
      const path = join(dir, file);
      const state = inspectLock(path);
      return state === 'free' ? [] : [{ path, live: state.live, since: Date.parse(state.owner.started) }];
    });
}
