/**
 * Files in a store that many processes and hosts share: durable writes (temp file, fsync, rename), temp names that
 * say who writes them, and directory listings that read a missing directory as empty.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { asIOError, errorLine, isIOError } from '../../common/io-error.ts';

export const HOST = hostname();
/** Every temp file's name starts so: `.tmp-<host>~<pid>~<random>`. */
export const TEMP_PREFIX = '.tmp-';

/** A temp file's whole name, as tempPathIn makes it: nothing else in a directory (a checkout's) is taken for one. */
const TEMP_NAME = /^\.tmp-(.+)~(\d+)~[a-z0-9]*$/;

/** Temp files in `dir` of writers that died (their pid is gone on this host) or older than a day (other hosts). */
export function staleTempFiles(dir: string): string[] {
  const out: string[] = [];
  for (const file of listDir(dir)) {
    const [, host, pid] = TEMP_NAME.exec(file) ?? [];
    if (host === undefined) continue;
    const path = join(dir, file);
    if (host === HOST ? !processAlive(Number(pid)) : olderThanADay(path)) out.push(path);
  }
  return out;
}

/** Another host's writer may rename its temp file between the listing and the stat: then it is gone, not stale. */
function olderThanADay(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && Date.now() - stat.mtimeMs > 86_400_000;
}

/**
 * Removes the temp files of dead writers in `dirs`: nobody will ever rename them. Housekeeping: a directory that
 * refuses (read-only) gets a warning, and gc lists what is left.
 */
export function removeStaleTempFiles(dirs: string[], warn: (message: string) => void): void {
  try {
    for (const path of dirs.flatMap(staleTempFiles)) rmSync(path, { force: true });
  } catch (error) {
    if (!isIOError(error)) throw error;
    warn(`could not remove the temp files of dead writers: ${errorLine(error)}`);
  }
}

/** A directory's entries; none when it does not exist (a store that was never written to). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** A fresh temp file name in `dir`; it carries host and pid so gc can tell a dead writer's leftovers. */
function tempPathIn(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${HOST}~${process.pid}~${Math.random().toString(36).slice(2)}`);
}

/**
 * `bytes` whole and fsynced in a fresh temp file in `dir`, ready to be renamed or linked into place; its path.
 * On failure the temp file is removed and the error names `dir`.
 */
export function writeDurableTemp(dir: string, bytes: Uint8Array): string {
  const temp = tempPathIn(dir);
  try {
    writeWhole(temp, bytes);
  } catch (error) {
    removeAfterFailure(temp);
    throw asIOError(error, dir);
  }
  return temp;
}

/**
 * Temp file in the target's directory (so rename is atomic), fsync, rename, fsync the directory so the rename
 * itself survives power loss. On failure the temp file is removed and the error names `path`.
 */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const temp = tempPathIn(dir);
  try {
    writeWhole(temp, bytes);
    renameSync(temp, path);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (error) {
    removeAfterFailure(temp);
    throw asIOError(error, path);
  }
}

function writeWhole(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx');
  try {
    // write(2) may write less than asked (a signal): loop until every byte is out. A full disk throws ENOSPC.
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeAfterFailure(temp: string): void {
  try {
    rmSync(temp, { force: true });
  } catch {
    // The write's own error is the one to report; gc lists the temp file once this process is gone.
  }
}
