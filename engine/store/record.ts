/**
 * The run record: what a committed node leaves in runs/<key>.json, and what makes one trustworthy. A record carries
 * a checksum over its own content, keyed so that an edit cannot keep it valid by accident, and describes each
 * output (size, Arrow footer) so that `repro --verify` can tell that an output is the object the node committed.
 */
import { hashBytes, hashJson, hashText } from './hash.ts';
import type { Json } from '../stage.ts';

/** Everything a cache key is computed from; kept in the run record so `status` can say what changed. */
export interface Manifest {
  stage: string;
  code: string;
  params: Json;
  /** Input name → content hash of the object it reads. */
  inputs: Record<string, string>;
  seed: number;
}

/**
 * A node's cache key, the store's address of its outputs: the hash of its manifest. Unlike the structural identity
 * (engine/plan/graph.ts) it depends on what the inputs contain, so it is known only once they have committed.
 */
export function cacheKey(manifest: Manifest): string {
  return hashJson(manifest);
}

export interface RunRecord {
  version: typeof RECORD_VERSION;
  key: string;
  sid: string;
  /** Node ids that shared this run when it was committed. */
  ids: string[];
  stage: string;
  manifest: Manifest;
  outputs: Record<string, string>;
  /** Output name → what its object is, checked by `repro --verify`. */
  outputInfo: Record<string, ObjectInfo>;
  /** Whatever the stage reported through ctx.metric, e.g. loss, accuracy, backend. */
  metrics: Record<string, number | string>;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  host: string;
  pid: number;
  /** Relative to the store root. */
  log: string;
  /** recordChecksum of every other field. */
  checksum: string;
}

/** A run record as a worker assembles it; the store adds what it knows of the outputs and the checksum. */
export type RunDraft = Omit<RunRecord, 'version' | 'outputInfo' | 'checksum'>;

/**
 * What `repro --verify` checks an output against besides its content hash: its size in bytes and the hash of
 * its Arrow file footer (the schema with its fields, types and key-value metadata, and each record batch's
 * offset and length).
 */
export interface ObjectInfo {
  bytes: number;
  footer: string;
}

/** Records without checksums (version 1) are from before checksums and are treated as missing. */
export const RECORD_VERSION = 2;
/** The checksum's key: a plain xxhash64 of an edited record, e.g. by a script that meant well, does not match. */
const RECORD_CHECKSUM_SEED = 0x72756e7265636f72n; // "runrecor"

/**
 * Over the record's JSON in its own key order, not canonical JSON (3-5x slower on a no-op repro's 5,000 records):
 * the writer puts the record through JSON once, after which JSON.parse and JSON.stringify keep that order exactly.
 */
export function recordChecksum(record: Omit<RunRecord, 'checksum'> & { checksum?: string }): string {
  const { checksum: _, ...fields } = record;
  return hashText(JSON.stringify(fields), RECORD_CHECKSUM_SEED);
}

/** Whether a parsed record can be trusted: well-formed, of this version, and matching its checksum. */
export function checkRun(value: unknown): 'ok' | 'unreadable' | 'legacy' | 'tampered' {
  const record = value as Partial<RunRecord> | undefined;
  if (!record || typeof record !== 'object' || typeof record.key !== 'string' || !record.outputs || !record.manifest)
    return 'unreadable';
  if (record.checksum === undefined && (record.version as number) === 1) return 'legacy';
  if (record.version !== RECORD_VERSION || !record.outputInfo) return 'unreadable';
  return record.checksum === recordChecksum(record as RunRecord) ? 'ok' : 'tampered';
}

/** ObjectInfo of an object's bytes. A file too short to hold an Arrow footer gets footer '', which no object has. */
export function objectInfo(bytes: Uint8Array): ObjectInfo {
  // An Arrow IPC file ends: footer, its length (int32 little-endian), "ARROW1".
  const end = bytes.length - 10;
  const length = end >= 8 ? new DataView(bytes.buffer, bytes.byteOffset + end, 4).getInt32(0, true) : -1;
  const footer = length > 0 && end - length >= 8 ? hashBytes(bytes.subarray(end - length, end)) : '';
  return { bytes: bytes.length, footer };
}

export function describeInfo(info: ObjectInfo | undefined): string {
  return info ? `${info.bytes} bytes with footer ${info.footer || '(none)'}` : 'not described';
}
