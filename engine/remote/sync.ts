/**
 * `push` and `pull`: the objects and run records a lock needs, copied between this store and a remote one (a
 * directory, e.g. a mounted share, or `ssh://host/path`, engine/remote/ssh.ts), only what the other side lacks.
 *
 * Safe to interrupt and to run beside a `repro` on either side: every file arrives under a temp name and is renamed
 * into place whole, objects before the run records that name them, so a store never holds a record without its
 * objects; a rerun copies what is still missing. Objects are content-addressed and a record that exists already is
 * never replaced. What arrives is checked: an object's bytes against its name, a run record against its checksum
 * and key; what fails is refused, named, and not kept.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listDir, TEMP_PREFIX, writeAtomic } from '../store/files.ts';
import { hashBytes } from '../store/hash.ts';
import { checkHash } from '../store/names.ts';
import type { LockFile } from '../store/lock-file.ts';
import { cacheKey, checkRun, type RunRecord } from '../store/record.ts';
import type { Store } from '../store/store.ts';

/** A remote store, file by file; paths are relative to its root, e.g. objects/HASH.arrow. */
export interface RemoteStore {
  /** What to call it in messages. */
  readonly name: string;
  /** The file names in one of its directories (temp files left out); empty when the directory does not exist. */
  list(dir: 'objects' | 'runs'): Promise<Set<string>>;
  read(path: string): Promise<Buffer>;
  /** Writes whole or not at all (a temp name, then a rename). */
  write(path: string, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** A store on a file system this machine mounts. */
export class DirectoryRemote implements RemoteStore {
  constructor(readonly name: string) {}
  async list(dir: 'objects' | 'runs'): Promise<Set<string>> {
    const files = await readdir(join(this.name, dir)).catch(() => [] as string[]);
    return new Set(files.filter((f) => !f.startsWith(TEMP_PREFIX)));
  }
  read(path: string): Promise<Buffer> {
    return readFile(join(this.name, path));
  }
  async write(path: string, bytes: Buffer): Promise<void> {
    const target = join(this.name, path);
    mkdirSync(dirname(target), { recursive: true });
    writeAtomic(target, bytes);
  }
  async close(): Promise<void> {}
}

export interface SyncResult {
  copied: number;
  present: number;
}

/**
 * Object and run-record files a lock needs: objects/HASH.arrow and runs/KEY.json. The names come from a lock file,
 * which anyone can edit: each must have the store's one format before it becomes a path (engine/store/names.ts).
 */
function needed(lock: LockFile): { objects: string[]; runs: string[] } {
  const nodes = Object.entries(lock.nodes);
  return {
    objects: [
      ...new Set(
        nodes.flatMap(([id, n]) => Object.entries(n.outputs).map(([name, h]) => checkHash(h, `${id} output ${name}`))),
      ),
    ]
      .sort()
      .map((h) => `${h}.arrow`),
    runs: [...new Set(nodes.map(([id, n]) => checkHash(n.key, `${id} key`)))].sort().map((k) => `${k}.json`),
  };
}

/** Refuses an object whose bytes do not match its name, or a run record that fails its checksum or names another key. */
function check(path: string, bytes: Buffer, where: string): void {
  const [dir, file] = path.split('/') as ['objects' | 'runs', string];
  if (dir === 'objects') {
    const hash = file.slice(0, -'.arrow'.length);
    if (hashBytes(bytes) !== hash)
      throw new Error(`${where} object ${hash} is corrupt (its content does not match its name): not copied`);
    return;
  }
  let record: unknown;
  try {
    record = JSON.parse(bytes.toString('utf8'));
  } catch {
    record = undefined;
  }
  const key = file.slice(0, -'.json'.length);
  // A checksum anyone can compute: the key must also be its manifest's, as the store demands of what it commits.
  if (
    checkRun(record) !== 'ok' ||
    (record as RunRecord).key !== key ||
    cacheKey((record as RunRecord).manifest) !== key
  ) {
    throw new Error(
      `${where} run record ${path} is not a sound run record of key ${key} (unreadable, wrong key, a manifest of another key, or failing its checksum): not copied`,
    );
  }
}

/** Copies to the remote what the lock needs and it lacks; the local store must hold all of it. */
export async function push(store: Store, lock: LockFile, remote: RemoteStore): Promise<SyncResult> {
  const want = needed(lock);
  const local = (dir: 'objects' | 'runs') => new Set(listDir(join(store.root, dir)));
  const result: SyncResult = { copied: 0, present: 0 };
  for (const dir of ['objects', 'runs'] as const) {
    const here = local(dir);
    const missing = want[dir].filter((f) => !here.has(f));
    if (missing.length)
      throw new Error(
        `the store at ${store.root} lacks ${missing.length} file(s) the lock needs (first: ${dir}/${missing[0]}): run repro, or pull them, first`,
      );
  }
  // Objects first: a run record arrives only when the objects it names are there.
  for (const dir of ['objects', 'runs'] as const) {
    const there = await remote.list(dir);
    for (const file of want[dir]) {
      if (there.has(file)) {
        result.present++;
        continue;
      }
      const path = `${dir}/${file}`;
      const bytes = readFileSync(join(store.root, path));
      check(path, bytes, `the local store's`);
      await remote.write(path, bytes);
      result.copied++;
    }
  }
  return result;
}

/** Copies from the remote what the lock needs and this store lacks, checking each file before it is kept. */
export async function pull(store: Store, lock: LockFile, remote: RemoteStore): Promise<SyncResult> {
  const want = needed(lock);
  const result: SyncResult = { copied: 0, present: 0 };
  for (const dir of ['objects', 'runs'] as const) {
    const there = await remote.list(dir);
    const absent = want[dir].filter((f) => !there.has(f) && !existsSync(join(store.root, dir, f)));
    if (absent.length)
      throw new Error(
        `${remote.name} lacks ${absent.length} file(s) the lock needs (first: ${dir}/${absent[0]}): push them there first`,
      );
    for (const file of want[dir]) {
      const path = `${dir}/${file}`;
      if (existsSync(join(store.root, path))) {
        result.present++;
        continue;
      }
      const bytes = await remote.read(path);
      check(path, bytes, `${remote.name}'s`);
      writeAtomic(join(store.root, path), bytes);
      result.copied++;
    }
  }
  return result;
}

/** `ssh://host/path` or a directory; a directory to pull from must exist. */
export async function openRemote(spec: string, use: 'push' | 'pull'): Promise<RemoteStore> {
  if (spec.startsWith('ssh://')) return new (await import('./ssh.ts')).SshRemote(spec);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec))
    throw new Error(`${spec}: a remote is a directory or ssh://[user@]host[:port]/path`);
  if (use === 'pull' && !existsSync(spec)) throw new Error(`no remote store at ${spec}`);
  return new DirectoryRemote(spec);
}
