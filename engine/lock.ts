/**
 * Per-key locks that work across processes and across machines sharing the store. A lock is a file holding its
 * owner (pid, host, start time), put in place whole by link(2), which fails with EEXIST if the lock exists; the
 * owner touches it every few seconds. A lock is stale when its owner is a dead process on this host, or when
 * nobody has touched it for `staleMs` (the only test possible for a process on another host).
 */
import { linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { HOST, processAlive, writeDurableTemp } from './store.ts';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** Tells this lock from a later one at the same path. */
  token: string;
}

const LOCK_STALE_MS = Number(process.env.PIPELINE_LOCK_STALE_MS ?? 120_000);
/**
 * A lock without a readable owner cannot come from acquire (the file appears complete), only from a crash or an
 * older writer that created the file before writing it: it is stale once it is this old.
 */
const UNREADABLE_STALE_MS = 5_000;
const HEARTBEAT_MS = Math.max(50, Math.min(5_000, LOCK_STALE_MS / 4));

export class Lock {
  private constructor(readonly path: string, readonly owner: LockOwner) {}

  /** Takes the lock, taking over a stale one; returns the live owner instead when someone else holds it. */
  static acquire(path: string): Lock | LockOwner {
    const owner: LockOwner = { pid: process.pid, host: HOST, started: new Date().toISOString(), token: Math.random().toString(36).slice(2) };
    // The owner is written and fsynced before the link, so a lock never appears without it.
    const temp = writeDurableTemp(dirname(path), Buffer.from(JSON.stringify(owner)));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(temp, path);
          const lock = new Lock(path, owner);
          held.add(lock);
          return lock;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const state = inspectLock(path);
        if (state === 'free') continue;
        if (state.live) return state.owner;
        takeOver(path, state);
      }
    } finally {
      rmSync(temp, { force: true });
    }
    // Still contended after three rounds: report it as held and let the caller retry later.
    return readOwner(path) ?? { ...owner, pid: 0, host: 'unknown' };
  }

  release(): void {
    held.delete(this);
    // Only remove the file if it is still ours: after a takeover it belongs to someone else.
    if (readOwner(this.path)?.token === this.owner.token) rmSync(this.path, { force: true });
  }
}

/** What a stale lock looked like when inspected, so that a takeover removes that file and no later one. */
interface LockState { owner: LockOwner; live: boolean; ino: number; mtimeMs: number }

/** 'free', or who holds the lock and whether they are alive. An unreadable owner has token ''. */
export function inspectLock(path: string): 'free' | LockState {
  let ino: number;
  let mtimeMs: number;
  try {
    ({ ino, mtimeMs } = statSync(path));
  } catch {
    return 'free';
  }
  const read = readOwner(path);
  const owner = read ?? { pid: 0, host: '?', started: new Date(mtimeMs).toISOString(), token: '' };
  const fresh = Date.now() - mtimeMs < (read ? LOCK_STALE_MS : UNREADABLE_STALE_MS);
  const live = owner.host === HOST && owner.pid > 0 ? processAlive(owner.pid) && fresh : fresh;
  return { owner, live, ino, mtimeMs };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock. Two processes may both find it stale; the guard directory (mkdir is atomic) lets one
 * of them re-check and remove it, so nobody removes a lock that was taken afresh in between.
 */
function takeOver(path: string, stale: LockState): void {
  const guard = `${path}.takeover`;
  try {
    mkdirSync(guard);
  } catch {
    // Someone else is taking it over; a guard left by a crash in this tiny window is cleared after staleMs.
    try {
      if (Date.now() - statSync(guard).mtimeMs > LOCK_STALE_MS) rmdirSync(guard);
    } catch { /* gone already */ }
    return;
  }
  try {
    // Same file (inode), untouched since, same owner: an unreadable lock has no token to tell it from a new one.
    const now = statSync(path, { throwIfNoEntry: false });
    const unchanged = now?.ino === stale.ino && now.mtimeMs === stale.mtimeMs && (readOwner(path)?.token ?? '') === stale.owner.token;
    if (unchanged) rmSync(path, { force: true });
  } finally {
    rmdirSync(guard);
  }
}

// One heartbeat for every lock this process holds; unref'd so it never keeps the process alive.
const held = new Set<Lock>();
setInterval(() => {
  const now = new Date();
  for (const lock of held) {
    try {
      utimesSync(lock.path, now, now);
    } catch { /* released or taken over: nothing to refresh */ }
  }
}, HEARTBEAT_MS).unref();

/** Releases every lock this process holds (on Ctrl-C or a fatal error). */
export function releaseAllLocks(): void {
  for (const lock of [...held]) lock.release();
}
