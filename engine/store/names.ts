/**
 * The names the store turns into paths: cache keys, structural ids and object hashes, all xxhash64 in 16 lowercase
 * hex digits (engine/store/hash.ts). Anything else (`../../victim/package`, an absolute path, a NUL byte) is refused where
 * a name becomes a path, so no file the store writes or deletes can be outside it, whoever wrote the name.
 */

const HASH = /^[0-9a-f]{16}$/;
/** Node ids are labels for people (`train/cycle=balanced/seed=1/gen=3`), never paths: printable, of sane length. */
const ID = /^[\x21-\x7e][\x20-\x7e]{0,499}$/;

/** `value` if it is a hash-shaped name; otherwise an error naming `what`, the value and the format. */
export function checkHash(value: unknown, what: string): string {
  if (typeof value === 'string' && HASH.test(value)) return value;
  throw new Error(`${what} ${quote(value)} is not a name of the store (expected 16 lowercase hex digits)`);
}

export function checkId(value: unknown, what: string): string {
  if (typeof value === 'string' && ID.test(value)) return value;
  throw new Error(`${what} ${quote(value)} is not a node id (expected 1 to 500 printable ASCII characters)`);
}

/** A value as the error shows it: JSON, cut short, so a 50 MB string makes a short line. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
