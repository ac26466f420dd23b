/**
 * The multi-threaded wasm build in Node, which tfjs leaves off there (tfjs issue #3830). Three things stand in its
 * way; the patched globals (URL.createObjectURL, os.cpus) are restored once the backend has started, the flag and
 * the thread count stay set, as they describe the backend that now runs:
 * - the WASM_HAS_MULTITHREAD_SUPPORT flag answers false in Node: set it;
 * - the pthread workers are started from a blob: URL that Node's worker_threads cannot load, and are handed the
 *   main script as a Blob they cannot read synchronously: the worker script is written to a temporary file, prefixed
 *   so that it loads the package's own copy of the threaded glue (wasm-out/) by path;
 * - XNNPACK's pool gets at most half the logical cores (tfjs assumes two hardware threads a core): the core count
 *   the glue reads is doubled, so that `threads` up to the core count are granted.
 * XNNPACK splits a product's output tiles between threads and each output is summed in the same order, so results
 * do not depend on the thread count (test/model-wasm-threads.test.ts checks a training bit for bit).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Initialises the wasm backend with the threaded build and `threads` XNNPACK threads; call it before anything
 * selects a backend (model/backend.ts's selectBackend('wasm') then finds this one). Returns the threads granted.
 * It lives outside model/backend.ts on purpose: that module is part of the training stage's code fingerprint, and
 * the stages do not use threads (yet), so the committed locks keep their keys.
 */
export async function initWasmThreaded(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`wasm threads: expected a positive integer, got ${threads}`);
  if (wasmInitialised()) throw new Error('wasm threads: the wasm backend is already initialised');
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(dist + path.sep);
  if (threads > 1) await withThreadedBuild(dist, threads);
  else if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  return getThreadsCount();
}

/** getThreadsCount throws until the backend exists (tf.findBackend would start initialising it). */
function wasmInitialised(): boolean {
  try {
    getThreadsCount();
    return true;
  } catch {
    return false;
  }
}

async function withThreadedBuild(dist: string, threads: number): Promise<void> {
  const glue = path.join(dist, '..', 'wasm-out');
  const { wasmWorkerContents } = require(path.join(glue, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-threads-'));
  const workerFile = path.join(dir, 'worker.cjs');
  const mainScript = JSON.stringify(path.join(glue, 'tfjs-backend-wasm-threaded-simd.js'));
  // The contents come from a template literal, so their string literals hold raw newlines; tfjs escapes them
  // again before it makes its blob, and so must the file.
  writeFileSync(
    workerFile,
    `URL.createObjectURL=()=>${mainScript};URL.revokeObjectURL=()=>{};\n${wasmWorkerContents.replace(/\n/g, '\\n')}`,
  );
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (blob: Blob) => (blob.type === 'application/javascript' ? workerFile : createObjectURL(blob));
  os.cpus = () => [...cpus(), ...cpus()];
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend did not initialise');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    // The workers have read their script by now; a later worker (more threads than the pool of 8) would not.
    rmSync(dir, { recursive: true, force: true });
  }
}
