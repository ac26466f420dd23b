/** The threaded wasm build (model/wasm-threads.ts): it is granted the threads asked for and trains bit for bit alike. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initWasmThreaded } from '../model/wasm-threads.ts';

const FIXTURE = fileURLToPath(new URL('fixtures/train-with-threads.ts', import.meta.url));

function trainWith(threads: number): { threads: number; weights: string; samples: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, String(threads)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`${FIXTURE} ${threads} failed (${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

test('two wasm threads are granted on this machine and give the same weights and samples as one', (t) => {
  const one = trainWith(1);
  const two = trainWith(2);
  t.is(one.threads, 1);
  t.is(two.threads, 2);
  t.is(two.weights, one.weights);
  t.is(two.samples, one.samples);
});

test.serial('a thread count that is not a positive integer is refused', async (t) => {
  await t.throwsAsync(initWasmThreaded(0), { message: /wasm threads: expected a positive integer, got 0/ });
  await t.throwsAsync(initWasmThreaded(1.5), { message: /got 1\.5/ });
});

test.serial('threads cannot be asked for once the wasm backend exists', async (t) => {
  t.is(await initWasmThreaded(1), 1);
  await t.throwsAsync(initWasmThreaded(2), { message: /the wasm backend is already initialised/ });
});
