/**
 * Code fingerprints: a stage's key must change when its source, or any local module it imports, changes. The
 * module graph is found by following import / export-from statements, so no list has to be kept by hand. A file a
 * module names relative to itself with `new URL('./file', import.meta.url)` (C source it compiles, say) is part of
 * its code too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashText } from './hash.ts';
import { stageLocation } from './stage.ts';

// Static imports, re-exports, side-effect imports and literal dynamic imports. `import type` is skipped: it
// does not exist at run time.
const SPECIFIERS = [
  /\b(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

// The engine's own files are the machinery, not the stage's computation: a stage imports engine/stage.ts, and
// editing the engine must not invalidate every cached result.
const ENGINE_DIR = dirname(fileURLToPath(import.meta.url)) + sep;

const cache = new Map<string, string>();

/**
 * Each file's content hash and the local modules it imports, read and hashed once per process: stages share
 * most of their modules, and a plan fingerprints every stage.
 */
const modules = new Map<string, { hash: string; deps: string[] }>();

/** Fingerprint of a module URL (a '#export' suffix is ignored); cached for the life of the process. */
export function codeFingerprint(moduleUrl: string): string {
  const file = fileURLToPath(stageLocation(moduleUrl).file);
  let fingerprint = cache.get(file);
  if (fingerprint === undefined) {
    // Content hashes only, sorted: moving the checkout to another directory keeps every key.
    fingerprint = hashText([...localClosure(file).values()].sort().join('\n'));
    cache.set(file, fingerprint);
  }
  return fingerprint;
}

/** Every local module reachable from `entry`, mapped to its content hash. */
export function localClosure(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file) || file.startsWith(ENGINE_DIR)) return;
    const { hash, deps } = readModule(file);
    seen.set(file, hash);
    for (const dep of deps) visit(dep);
  };
  visit(entry);
  return seen;
}

function readModule(file: string): { hash: string; deps: string[] } {
  let module = modules.get(file);
  if (!module) {
    const source = readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const pattern of SPECIFIERS) {
      for (const match of source.matchAll(pattern)) {
        const spec = match[1];
        if (!spec.startsWith('./') && !spec.startsWith('../')) continue; // packages are pinned by the lock file
        deps.push(resolveLocal(dirname(file), spec));
      }
    }
    module = { hash: hashText(source), deps };
    modules.set(file, module);
  }
  return module;
}

function resolveLocal(dir: string, spec: string): string {
  const exact = resolve(dir, spec);
  if (existsSync(exact)) return exact;
  const ts = exact.replace(/\.js$/, '.ts'); // TypeScript's NodeNext style names the emitted .js
  if (existsSync(ts)) return ts;
  throw new Error(`code fingerprint: cannot resolve '${spec}' imported from ${dir}`);
}
