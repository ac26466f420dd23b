/**
 * Per-key locks that work across processes and across machines sharing the store. A lock is a file created
 * with O_EXCL holding its owner (pid, host, start time); the owner touches it every few seconds. A lock is
 * stale when its owner is a dead process on this host, or when nobody has touched it for `staleMs` (the only
 * test possible for a process on another host).
 */
import { mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, utimesSync, writeSync, closeSync } from 'node:fs';
import { HOST, processAlive } from './store.ts';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** Tells this lock from a later one at the same path. */
  token: string;
}

export const LOCK_STALE_MS = Number(process.env.PIPELINE_LOCK_STALE_MS ?? 120_000);
const HEARTBEAT_MS = Math.max(50, Math.min(5_000, LOCK_STALE_MS / 4));

export class Lock {
  private constructor(readonly path: string, readonly owner: LockOwner) {}

  /** Takes the lock, taking over a stale one; returns the live owner instead when someone else holds it. */
  static acquire(path: string): Lock | LockOwner {
    const owner: LockOwner = { pid: process.pid, host: HOST, started: new Date().toISOString(), token: Math.random().toString(36).slice(2) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, JSON.stringify(owner));
        closeSync(fd);
        const lock = new Lock(path, owner);
        held.add(lock);
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const state = inspectLock(path);
      if (state === 'free') continue;
      if (state.live) return state.owner;
      takeOver(path, state.owner);
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

/** 'free', or who holds the lock and whether they are alive. */
export function inspectLock(path: string): 'free' | { owner: LockOwner; live: boolean } {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return 'free';
  }
  // A lock file caught between create and write reads empty: treat it as live until it goes stale by age.
  const owner = readOwner(path) ?? { pid: 0, host: '?', started: new Date(mtimeMs).toISOString(), token: '' };
  const fresh = Date.now() - mtimeMs < LOCK_STALE_MS;
  const live = owner.host === HOST && owner.pid > 0 ? processAlive(owner.pid) && fresh : fresh;
  return { owner, live };
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
function takeOver(path: string, stale: LockOwner): void {
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
    if (readOwner(path)?.token === stale.token) rmSync(path, { force: true });
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
