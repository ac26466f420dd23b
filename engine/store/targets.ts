/**
 * What `show` and `export` name on the command line: a node of a lock by its id (its output objects), or one
 * object by a unique hash prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseLockFile } from './lock-file.ts';
import type { Store } from './store.ts';

export interface Target {
  /** Output name → object hash; an object named by hash is its own output. */
  objects: Record<string, string>;
}

/** A name with a `/` or `=` is a node id (`sample/cycle=balanced/seed=1/gen=5`); anything else a hash prefix. */
export function resolveTarget(store: Store, lockPath: string, name: string): Target {
  if (!/[/=]/.test(name)) {
    const hash = store.resolveObject(name);
    return { objects: { [hash]: hash } };
  }
  if (!existsSync(lockPath)) throw new Error(`no lock at ${lockPath} to find node '${name}' in (--lock FILE)`);
  const lock = parseLockFile(readFileSync(lockPath, 'utf8'), lockPath);
  const node = lock.nodes[name];
  if (!node) {
    const stage = name.split('/')[0];
    const like = Object.keys(lock.nodes)
      .filter((id) => id.startsWith(`${stage}/`))
      .slice(0, 3);
    throw new Error(`no node '${name}' in ${lockPath}${like.length ? `; e.g. ${like.join(', ')}` : ''}`);
  }
  return { objects: node.outputs };
}
