/**
 * Code fingerprints: a stage's key must change when its code, or that of any local module it imports, changes, and
 * only then: comments and layout are not code, so each file is hashed in its stripped form (below). The module graph
 * is found by following import / export-from statements, so no list has to be kept by hand. A file a module names
 * relative to itself with `new URL('./file', import.meta.url)` (C source it compiles, say) is part of its code too,
 * stripped the same way (C's comments are JavaScript's).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsTokens from 'js-tokens';
import { hashText } from '../store/hash.ts';
import { stageLocation } from '../stage.ts';

/**
 * Names the stripped form and enters every fingerprint: change it whenever `strippedSource` changes, so every key
 * changes once, on purpose, rather than some keys silently.
 */
export const STRIPPED_FORM = 'js-tokens 10, comments dropped, one space or one line break between tokens';

// Static imports, re-exports, side-effect imports, literal dynamic imports and files named by URL, in the stripped
// form (tokens separated by a space). `import type` is skipped: it does not exist at run time.
const SPECIFIERS = [
  /\b(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew\s+URL\s*\(\s*['"]([^'"]+)['"]\s*,\s*import\s*\.\s*meta\s*\.\s*url\s*\)/g,
];

// The engine's own files are the machinery, not the stage's computation: a stage imports engine/stage.ts, and
// editing the engine must not invalidate every cached result.
const ENGINE_DIR = fileURLToPath(new URL('..', import.meta.url));

const cache = new Map<string, string>();

/**
 * Each file's hash (of its stripped form) and the local modules it imports, read and hashed once per process:
 * stages share most of their modules, and a plan fingerprints every stage.
 */
const modules = new Map<string, { hash: string; deps: string[] }>();

/** Fingerprint of a module URL (a '#export' suffix is ignored); cached for the life of the process. */
export function codeFingerprint(moduleUrl: string): string {
  const file = fileURLToPath(stageLocation(moduleUrl).file);
  let fingerprint = cache.get(file);
  if (fingerprint === undefined) {
    // Hashes only, sorted: moving the checkout to another directory keeps every key.
    fingerprint = hashText([STRIPPED_FORM, ...[...localClosure(file).values()].sort()].join('\n'));
    cache.set(file, fingerprint);
  }
  return fingerprint;
}

/** Every local module reachable from `entry`, mapped to the hash of its stripped form. */
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

/**
 * The source's tokens without comments, one space between two tokens on a line and one line break between tokens
 * on different lines: line breaks are kept because automatic semicolon insertion reads them (`return` then a new
 * line); indentation, spacing, blank lines and comments are dropped. A tokenizer, not a pattern, so a `//` or `/*`
 * inside a string, template or regular expression literal stays code.
 */
export function strippedSource(source: string): string {
  let out = '';
  let newline = false;
  for (const token of jsTokens(source)) {
    switch (token.type) {
      case 'LineTerminatorSequence':
        newline = true;
        break;
      case 'MultiLineComment':
        if (/[\n\r\u2028\u2029]/.test(token.value)) newline = true; // it counts as a line break for semicolons
        break;
      case 'WhiteSpace':
      case 'SingleLineComment':
      case 'HashbangComment':
        break;
      default:
        out += (out === '' ? '' : newline ? '\n' : ' ') + token.value;
        newline = false;
    }
  }
  return out;
}

function readModule(file: string): { hash: string; deps: string[] } {
  let module = modules.get(file);
  if (!module) {
    // Imports are read from the stripped form too, so a commented-out import is not followed.
    const source = strippedSource(readFileSync(file, 'utf8'));
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
