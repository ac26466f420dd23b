/**
 * Per-key locks that work across processes and across machines sharing the store. A lock is a file holding its
 * owner (pid, host, start time), put in place whole by link(2), which fails with EEXIST if the lock exists; the
 * owner touches it every few seconds. A lock is stale when its owner is a dead process on this host, or when this
 * process has watched it for `staleMs` of its own clock without seeing the heartbeat change it: a remote mtime is
 * only compared with an earlier reading of itself, never with the local clock, so hosts need not agree on time.
 */
import { linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { HOST, processAlive, writeDurableTemp } from './files.ts';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** Tells this lock from a later one at the same path. */
  token: string;
  /** The Slurm job holding it, when it runs in one (`status` shows it). */
  job?: string;
}

export interface AcquireOptions {
  /** How long a lock is watched without a heartbeat before it is stale; default 2 minutes. */
  staleMs?: number;
  /** A signature (LockState.signature) the caller has already watched go stale: take that lock over at once. */
  staleSignature?: string;
}

/** The default staleMs: far above the heartbeat, so that a busy host's late heartbeat never costs it its lock. */
const LOCK_STALE_MS = 120_000;
/** How often a holder touches its lock: a staleMs close to this would take live locks over. */
const HEARTBEAT_MS = 5_000;
/**
 * A lock without a readable owner cannot come from acquire (the file appears complete), only from a crash or an
 * older writer that created the file before writing it: it is stale once it is this old.
 */
const UNREADABLE_STALE_MS = 5_000;

export class Lock {
  private constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {}

  /** Takes the lock, taking over a stale one; returns the live owner instead when someone else holds it. */
  static acquire(path: string, options: AcquireOptions = {}): Lock | LockOwner {
    const owner: LockOwner = {
      pid: process.pid,
      host: HOST,
      started: new Date().toISOString(),
      token: Math.random().toString(36).slice(2),
      ...(process.env.SLURM_JOB_ID ? { job: process.env.SLURM_JOB_ID } : {}),
    };
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
        const state = inspectLock(path, options.staleMs);
        if (state === 'free') continue;
        if (state.live && state.signature !== options.staleSignature) return state.owner;
        takeOver(path, state, options.staleMs);
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

/** What a lock looked like when inspected, so that a takeover removes that file and no later one. */
export interface LockState {
  owner: LockOwner;
  live: boolean;
  ino: number;
  mtimeMs: number;
  /** Changes with every heartbeat and with every new owner. */
  signature: string;
}

/** Each lock's last signature seen by this process, and when (by the local clock) it was first seen. */
const watched = new Map<string, { signature: string; since: number }>();

/**
 * 'free', or who holds the lock and whether they are alive. An unreadable owner has token ''. A lock on another
 * host is live until this process has seen its signature unchanged for `staleMs`: a single look says live.
 */
export function inspectLock(path: string, staleMs = LOCK_STALE_MS): 'free' | LockState {
  let ino: number;
  let mtimeMs: number;
  try {
    ({ ino, mtimeMs } = statSync(path));
  } catch {
    watched.delete(path);
    return 'free';
  }
  const read = readOwner(path);
  const owner = read ?? { pid: 0, host: '?', started: new Date(mtimeMs).toISOString(), token: '' };
  const signature = `${ino}:${mtimeMs}:${owner.token}`;
  const now = Date.now();
  let seen = watched.get(path);
  if (seen?.signature !== signature) watched.set(path, (seen = { signature, since: now }));
  const fresh = now - seen.since < (read ? staleMs : Math.min(staleMs, UNREADABLE_STALE_MS));
  const live = owner.host === HOST && owner.pid > 0 ? processAlive(owner.pid) && fresh : fresh;
  return { owner, live, ino, mtimeMs, signature };
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
function takeOver(path: string, stale: LockState, staleMs = LOCK_STALE_MS): void {
  const guard = `${path}.takeover`;
  try {
    mkdirSync(guard);
  } catch {
    // Someone else is taking it over; a guard left by a crash in this tiny window is cleared once this process
    // has seen the same guard (inode, mtime) for staleMs of its own clock.
    try {
      const { ino, mtimeMs } = statSync(guard);
      const signature = `${ino}:${mtimeMs}`;
      const seen = watched.get(guard);
      if (seen?.signature !== signature) watched.set(guard, { signature, since: Date.now() });
      else if (Date.now() - seen.since > staleMs) {
        rmdirSync(guard);
        watched.delete(guard);
      }
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    // Same file (inode), untouched since, same owner: an unreadable lock has no token to tell it from a new one.
    const now = statSync(path, { throwIfNoEntry: false });
    const unchanged =
      now?.ino === stale.ino && now.mtimeMs === stale.mtimeMs && (readOwner(path)?.token ?? '') === stale.owner.token;
    if (unchanged) rmSync(path, { force: true });
    watched.delete(path);
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
    } catch {
      /* released or taken over: nothing to refresh */
    }
  }
}, HEARTBEAT_MS).unref();

/**
 * Removes the lock at `path` if a process of this host that has died holds it: what a pool does for a worker it
 * had to kill, so the lock does not outlive it until the next run takes it over.
 */
export function releaseLockOfDead(path: string, pid: number): void {
  const owner = readOwner(path);
  if (owner?.host === HOST && owner.pid === pid && !processAlive(pid)) rmSync(path, { force: true });
}

/** Releases every lock this process holds (on Ctrl-C or a fatal error). */
export function releaseAllLocks(): void {
  for (const lock of [...held]) lock.release();
}
