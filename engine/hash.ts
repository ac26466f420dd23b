/**
 * Hashing and canonical JSON: the two primitives every key and object name in the store is built from.
 * xxhash64 (xxhash-wasm) is not cryptographic; it names content, it does not defend against an adversary.
 */
import xxhash from 'xxhash-wasm';

const api = await xxhash();

/** Streaming in 1 MiB chunks: one huge call makes the wasm memory grow and is ~10x slower. */
const CHUNK = 1 << 20;

function hex(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

export function hashBytes(bytes: Uint8Array): string {
  const h = api.create64();
  for (let at = 0; at < bytes.length; at += CHUNK) h.update(bytes.subarray(at, at + CHUNK));
  return hex(h.digest());
}

/** `seed` keys the hash (run record checksums); names and keys use the default seed 0. */
export function hashText(text: string, seed?: bigint): string {
  return hex(api.h64(text, seed));
}

/**
 * JSON with object keys sorted and no whitespace, so equal values always hash equally. Values JSON cannot
 * round-trip (NaN, ±Infinity, undefined, functions, bigints) are rejected with the path of the offending key.
 */
export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}, which JSON cannot represent`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = sortedEntries(value).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`);
    return `{${entries.join(',')}}`;
  }
  throw new TypeError(`canonical JSON: ${path} is ${typeof value}, which JSON cannot represent`);
}

/**
 * An object's entries with keys sorted, the one sorter behind canonicalJson and sortedKeys. Entries, not an
 * object: an object lists integer-like keys first ('2' before '10'), which would change canonical hashes.
 */
function sortedEntries(value: object): Array<[string, unknown]> {
  return Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]);
}

/** A copy of a JSON value with every object's keys sorted (for JSON that is pretty-printed, not hashed). */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(sortedEntries(value).map(([k, v]) => [k, sortedKeys(v)]));
}

export function hashJson(value: unknown): string {
  return hashText(canonicalJson(value));
}
