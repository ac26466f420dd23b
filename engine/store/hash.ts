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
 * A plan encodes every node's params and manifest, so the path is kept as a stack of keys and spelled out only
 * for the error: building it as a string for every value was a fifth of a no-op repro over 5,000 nodes.
 */
export function canonicalJson(value: unknown, path = '$'): string {
  const keys: (string | number)[] = [];
  const fail = (what: string): never => {
    const at = path + keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
    throw new TypeError(`canonical JSON: ${at} is ${what}, which JSON cannot represent`);
  };
  const encode = (v: unknown): string => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : fail(String(v));
    if (Array.isArray(v)) {
      let out = '[';
      for (let i = 0; i < v.length; i++) {
        keys.push(i);
        out += (i ? ',' : '') + encode(v[i]);
        keys.pop();
      }
      return out + ']';
    }
    if (typeof v === 'object') {
      let out = '{';
      let first = true;
      for (const k of sortedNames(v)) {
        keys.push(k);
        out += `${first ? '' : ','}${JSON.stringify(k)}:${encode((v as Record<string, unknown>)[k])}`;
        keys.pop();
        first = false;
      }
      return out + '}';
    }
    return fail(typeof v);
  };
  return encode(value);
}

/**
 * An object's keys sorted, the one sorter behind canonicalJson and sortedKeys. Iterated as a list, never via a
 * new object: an object lists integer-like keys first ('2' before '10'), which would change canonical hashes.
 */
function sortedNames(value: object): string[] {
  return Object.keys(value).sort();
}

/** A copy of a JSON value with every object's keys sorted (for JSON that is pretty-printed, not hashed). */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of sortedNames(value)) out[k] = sortedKeys((value as Record<string, unknown>)[k]);
  return out;
}

export function hashJson(value: unknown): string {
  return hashText(canonicalJson(value));
}
