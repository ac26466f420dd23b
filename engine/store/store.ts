/**
 * The content-addressed store on disk.
 *
 *   objects/<hash>.arrow       immutable Arrow IPC files, named by the xxhash64 of their bytes
 *   runs/<key>.json            one record per committed node; it exists only if its outputs exist
 *   index.jsonl                append-only cache of run records, so a no-op repro reads one file, not thousands
 *   checkpoints/<key>.arrow    stage scratch, removed when the node commits
 *   logs/<key>.log             one log per key, kept for failed nodes too
 *   locks/<key>.lock           who is running a key right now (engine/store/lock.ts)
 *
 * Commit protocol: every file is written to a temp file in its final directory, fsynced and renamed into place;
 * a node's run record is written last. A crash at any instant leaves either nothing or a complete file (plus
 * perhaps a temp file that `gc` removes), and never a run record without its objects. A write that fails (a full
 * disk) removes its temp file and throws an IOError naming the file it was writing (engine/store/files.ts). A run
 * record that fails its checksum (engine/store/record.ts) is treated as missing.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Table } from 'apache-arrow';
import { asIOError, errorLine, isIOError } from '../../common/io-error.ts';
import { listDir, removeStaleTempFiles, staleTempFiles, TEMP_PREFIX, writeAtomic } from './files.ts';
import { hashBytes } from './hash.ts';
import { checkHash } from './names.ts';
import {
  cacheKey,
  checkRun,
  describeInfo,
  objectInfo,
  RECORD_VERSION,
  recordChecksum,
  type ObjectInfo,
  type RunDraft,
  type RunRecord,
} from './record.ts';

export class CorruptObjectError extends Error {
  constructor(readonly hashes: string[]) {
    super(`corrupt object${hashes.length > 1 ? 's' : ''} ${hashes.join(', ')}: content does not match name`);
  }
}

// Arrow is loaded on first use: a repro with nothing to do never decodes a table, and the import costs ~0.1 s.
let arrowModule: Promise<typeof import('apache-arrow')> | undefined;
const arrow = () => (arrowModule ??= import('apache-arrow'));
const DIRS = ['objects', 'runs', 'checkpoints', 'logs', 'locks'];

/** The store a command uses: --store, else $PIPELINE_STORE, else ./artifacts. */
export function storeRoot(dir?: string): string {
  return resolve(dir ?? process.env.PIPELINE_STORE ?? 'artifacts');
}

export class Store {
  readonly root: string;
  /** Warnings (garbage run records, corrupt objects) for the command to show once. */
  readonly warnings: string[] = [];
  private index?: Map<string, IndexEntry>;
  /** What this process wrote, for the run records that name it. */
  private readonly written = new Map<string, ObjectInfo>();
  /** Objects --verify found sound, so that outputs shared by many runs are read once. */
  private readonly verified = new Map<string, ObjectInfo>();
  private warnedLegacy = false;

  /**
   * `create: false` for commands that only read (status, gc, show, repro --dry): nothing is created, and a store
   * or directory that does not exist reads as empty.
   */
  constructor(root: string, { create = true }: { create?: boolean } = {}) {
    this.root = root;
    if (create) for (const dir of DIRS) mkdirSync(join(root, dir), { recursive: true });
  }

  get exists(): boolean {
    return existsSync(this.root);
  }

  // Every path of a key or hash goes through checkHash (engine/store/names.ts): a name from a task file or a run record
  // that is not a hash (`../../x`) throws here, before anything is read, written or deleted.
  objectPath(hash: string): string {
    return join(this.root, 'objects', `${checkHash(hash, 'object hash')}.arrow`);
  }
  runPath(key: string): string {
    return join(this.root, 'runs', `${checkHash(key, 'key')}.json`);
  }
  checkpointPath(key: string): string {
    return join(this.root, 'checkpoints', `${checkHash(key, 'key')}.arrow`);
  }
  logPath(key: string): string {
    return join(this.root, 'logs', `${checkHash(key, 'key')}.log`);
  }
  lockPath(key: string): string {
    return join(this.root, 'locks', `${checkHash(key, 'key')}.lock`);
  }
  private get indexPath(): string {
    return join(this.root, 'index.jsonl');
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  // ---- objects -------------------------------------------------------------------------------------------

  /**
   * Writes a table as an Arrow IPC file and returns its hash. An object that exists already is not rewritten but
   * touched: gc spares unreferenced objects newer than the oldest running lock, and this one is about to be used.
   */
  async putObject(table: Table): Promise<string> {
    const bytes = (await arrow()).tableToIPC(table, 'file');
    const hash = hashBytes(bytes);
    this.written.set(hash, objectInfo(bytes));
    const path = this.objectPath(hash);
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      writeAtomic(path, bytes);
    }
    return hash;
  }

  /** Reads an object, verifying its bytes against its name; a mismatch throws CorruptObjectError. */
  async getObject(hash: string): Promise<Table> {
    const bytes = readFileSync(this.objectPath(hash));
    if (hashBytes(bytes) !== hash) throw new CorruptObjectError([hash]);
    return (await arrow()).tableFromIPC(bytes);
  }

  /**
   * `repro --verify` of a cached run: every output exists, its bytes match its name, and it is the object the
   * record describes (ObjectInfo). A corrupt object is removed (its producer reruns), and so is a record that
   * describes its outputs otherwise (its node reruns). Either way the warning names the file.
   */
  verifyRun(record: RunRecord): boolean {
    if (!this.keyMatchesManifest(record)) {
      rmSync(this.runPath(record.key), { force: true });
      return false;
    }
    for (const [name, hash] of Object.entries(record.outputs)) {
      let found = this.verified.get(hash);
      if (!found) {
        const path = this.objectPath(hash);
        const bytes = existsSync(path) ? readFileSync(path) : undefined;
        if (!bytes || hashBytes(bytes) !== hash) {
          this.dropCorruptObject(hash);
          return false;
        }
        this.verified.set(hash, (found = objectInfo(bytes)));
      }
      const said = record.outputInfo[name];
      if (said?.bytes !== found.bytes || said.footer !== found.footer) {
        this.warn(
          `run record ${this.runPath(record.key)} says output '${name}' (${hash}) is ${describeInfo(said)}, but that object is ${describeInfo(found)}; treated as missing and removed, its node will rerun`,
        );
        rmSync(this.runPath(record.key), { force: true });
        return false;
      }
    }
    return true;
  }

  hasObject(hash: string): boolean {
    return existsSync(this.objectPath(hash));
  }

  /** A corrupt (or vanished) object is removed, so the runs that produced it count as missing and are recomputed. */
  dropCorruptObject(hash: string): void {
    const path = this.objectPath(hash);
    this.warn(
      existsSync(path)
        ? `object ${hash} is corrupt (content does not match its name); removed, its producer will rerun`
        : `object ${hash} is missing (deleted while in use?); its producer will rerun`,
    );
    rmSync(path, { force: true });
  }

  /** Finds the one object whose hash starts with `prefix`. */
  resolveObject(prefix: string): string {
    const matches = listDir(join(this.root, 'objects')).filter((f) => f.endsWith('.arrow') && f.startsWith(prefix));
    if (matches.length === 0) throw new Error(`no object matches '${prefix}'`);
    if (matches.length > 1) throw new Error(`'${prefix}' matches ${matches.length} objects; give more of the hash`);
    return matches[0].slice(0, -'.arrow'.length);
  }

  // ---- run records ---------------------------------------------------------------------------------------

  /**
   * The commit point of a node: its objects are already durable when this is called. Returns the record as
   * written, with its outputs described and its checksum.
   */
  commitRun(draft: RunDraft): RunRecord {
    // Outputs committed under a key are that key's, whoever built the draft (a task file can pair keys and manifests).
    const computed = cacheKey(draft.manifest);
    if (computed !== draft.key)
      throw new Error(`refusing to commit under key ${draft.key} the outputs of a manifest whose key is ${computed}`);
    const outputInfo = Object.fromEntries(
      Object.entries(draft.outputs).map(([name, hash]) => [
        name,
        this.written.get(hash) ?? objectInfo(readFileSync(this.objectPath(hash))),
      ]),
    );
    // Through JSON first, so the checksum covers what a reader parses, in its key order (a NaN metric reads as null).
    const fields = JSON.parse(JSON.stringify({ version: RECORD_VERSION, ...draft, outputInfo })) as Omit<
      RunRecord,
      'checksum'
    >;
    const record: RunRecord = { ...fields, checksum: recordChecksum(fields) };
    const path = this.runPath(record.key);
    writeAtomic(path, Buffer.from(JSON.stringify(record, null, 2) + '\n'));
    const entry: IndexEntry = { ...fileStamp(path), record };
    // One write(2) with O_APPEND: concurrent committers interleave whole lines. The index is only a cache of
    // runs/, so a lost or torn line (a full disk after the record was written) costs a file read later, never
    // a wrong answer, and must not fail a node that has committed.
    try {
      appendFileSync(this.indexPath, JSON.stringify(entry) + '\n');
    } catch (error) {
      if (!isIOError(error)) throw error;
      this.warn(
        `could not add ${record.key} to the index (${errorLine(asIOError(error, this.indexPath))}); readers fall back to ${path}`,
      );
    }
    this.loadIndex().set(record.key, entry);
    return record;
  }

  /**
   * Whether a record's key is its manifest's hash. A record with a valid checksum can still pair one node's key
   * with another's manifest and outputs (written by a forged task file before run-task checked keys): every
   * lookup of that key would return the other node's results. Hashing each manifest costs a no-op repro too much
   * to do on every lookup; `repro --verify` and `status` do it, and warn.
   */
  keyMatchesManifest(record: RunRecord): boolean {
    const computed = cacheKey(record.manifest);
    if (computed === record.key) return true;
    this.warn(
      `run record ${this.runPath(record.key)} is tampered: its manifest (stage ${record.manifest.stage}) has key ${computed}, not ${record.key}; treated as missing, its node will rerun`,
    );
    return false;
  }

  /**
   * The committed run for a key, or undefined when there is none or its outputs are gone. The index answers
   * when its entry matches the record file's size and mtime (one stat); otherwise the record file is read.
   */
  lookupRun(key: string): RunRecord | undefined {
    const record = this.readRun(this.loadIndex(), key, this.runPath(key));
    // A record copied to another key's file is that other key's record no more than a forged one.
    if (!record || record.key !== key) return undefined;
    return Object.values(record.outputs).every((hash) => this.hasObject(hash)) ? record : undefined;
  }

  /**
   * Every readable run record, whether or not its outputs still exist, and the paths of record files that cannot
   * be parsed (truncated, garbage): ignored by every reader, removed by gc.
   */
  listRuns(): { records: RunRecord[]; unreadable: string[] } {
    const index = this.loadIndex();
    const records: RunRecord[] = [];
    const unreadable: string[] = [];
    for (const file of listDir(join(this.root, 'runs'))) {
      if (!file.endsWith('.json') || file.startsWith(TEMP_PREFIX)) continue;
      const path = join(this.root, 'runs', file);
      const record = this.readRun(index, file.slice(0, -'.json'.length), path);
      if (record) records.push(record);
      // A file that vanished between readdir and read is gone, not unreadable.
      else if (existsSync(path)) unreadable.push(path);
    }
    return { records, unreadable };
  }

  /** Rewrites the index from the run records (after gc), dropping torn lines and deleted runs. */
  compactIndex(records: RunRecord[]): void {
    const lines = records.map(
      (record) => JSON.stringify({ ...fileStamp(this.runPath(record.key)), record } satisfies IndexEntry) + '\n',
    );
    writeAtomic(this.indexPath, Buffer.from(lines.join('')));
    this.index = undefined;
  }

  /**
   * The record in a run file (undefined when there is none), from the index when the entry matches the file's
   * size and mtime: a --force rerun rewrites the file with a new mtime, so an entry left stale by a lost append
   * is not mistaken for it even at the same size.
   */
  private readRun(index: Map<string, IndexEntry>, key: string, path: string): RunRecord | undefined {
    const cached = index.get(key);
    let stamp: { size: number; mtimeMs: number };
    try {
      stamp = fileStamp(path);
    } catch {
      return undefined;
    }
    const fromIndex =
      cached && cached.size === stamp.size && cached.mtimeMs === stamp.mtimeMs && checkRun(cached.record) === 'ok';
    return fromIndex ? cached.record : this.readRunFile(path);
  }

  private readRunFile(path: string): RunRecord | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      record = undefined;
    }
    const verdict = checkRun(record);
    if (verdict === 'ok') return record as RunRecord;
    if (verdict === 'unreadable')
      this.warn(`ignoring unreadable run record ${path} (truncated or not a run record); its node will rerun`);
    else if (verdict === 'tampered')
      this.warn(
        `ignoring run record ${path}: it fails its checksum (edited after it was written); its node will rerun`,
      );
    else if (!this.warnedLegacy) {
      this.warnedLegacy = true;
      this.warn(
        `ignoring run records written before records carried checksums (e.g. ${path}); their nodes rerun, reproducing their outputs, and rewrite them`,
      );
    }
    return undefined;
  }

  private loadIndex(): Map<string, IndexEntry> {
    if (this.index) return this.index;
    this.index = new Map();
    let text = '';
    try {
      text = readFileSync(this.indexPath, 'utf8');
    } catch {
      return this.index;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as IndexEntry;
        // Entries without an mtime (older indexes) are skipped: their record files are read instead.
        if (typeof entry.size === 'number' && typeof entry.mtimeMs === 'number' && entry.record?.key)
          this.index.set(entry.record.key, entry);
      } catch {
        // A torn line from a crash mid-append: the record file is still the truth.
      }
    }
    return this.index;
  }

  // ---- checkpoints ---------------------------------------------------------------------------------------

  async loadCheckpoint(key: string): Promise<Table | undefined> {
    const path = this.checkpointPath(key);
    if (!existsSync(path)) return undefined;
    try {
      return (await arrow()).tableFromIPC(readFileSync(path));
    } catch (error) {
      this.warn(`ignoring unreadable checkpoint ${path}: ${(error as Error).message}`);
      return undefined;
    }
  }

  async saveCheckpoint(key: string, table: Table): Promise<void> {
    writeAtomic(this.checkpointPath(key), (await arrow()).tableToIPC(table, 'file'));
  }

  dropCheckpoint(key: string): void {
    rmSync(this.checkpointPath(key), { force: true });
  }

  // ---- logs ----------------------------------------------------------------------------------------------

  /**
   * Appends to a node's log. A log is for people, not a result: when it cannot be written (a full disk) the node
   * goes on, and the first failure per log becomes a warning.
   */
  appendLog(key: string, text: string | Uint8Array): void {
    const path = this.logPath(key);
    try {
      appendFileSync(path, text);
    } catch (error) {
      if (!isIOError(error)) throw error;
      this.warn(`could not write the log: ${errorLine(asIOError(error, path))}`);
    }
  }

  // ---- housekeeping --------------------------------------------------------------------------------------

  /** Temp files left by writers that died (their pid is gone on this host) or older than a day (other hosts). */
  staleTempFiles(): string[] {
    return this.tempDirs().flatMap(staleTempFiles);
  }

  /**
   * Removes the temp files of dead writers, e.g. a checkpoint half-written when a kill -9 struck, so that a repro
   * that completes leaves nothing for gc.
   */
  removeStaleTempFiles(): void {
    removeStaleTempFiles(this.tempDirs(), (message) => this.warn(message));
  }

  private tempDirs(): string[] {
    return ['objects', 'runs', 'checkpoints', 'locks', '.'].map((dir) => join(this.root, dir));
  }
}

/** A line of index.jsonl: a run record and the size and mtime of its file when the line was written. */
interface IndexEntry {
  size: number;
  mtimeMs: number;
  record: RunRecord;
}

function fileStamp(path: string): { size: number; mtimeMs: number } {
  const { size, mtimeMs } = statSync(path);
  return { size, mtimeMs };
}
