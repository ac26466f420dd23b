/** Backend selection: forced backends load, an unavailable native one fails with its real cause. */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { BACKEND_ORDER, selectBackend } from '../model/backend.ts';

const nodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

test.serial('forcing cpu and wasm works, and repeating a choice reuses it', async (t) => {
  const cpu = await selectBackend('cpu');
  t.is(cpu.name, 'cpu');
  t.is(tf.getBackend(), 'cpu');
  const wasm = await selectBackend('wasm');
  t.is(wasm.name, 'wasm');
  t.is(tf.getBackend(), 'wasm');
  t.true(wasm.report.wasm?.simd);
  t.deepEqual(wasm.report.wasm?.kernelOverrides, ['BatchMatMul', 'Slice', 'SplitV', 'UnsortedSegmentSum', 'Sum', 'Identity', 'Cast']);
  t.is(tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()[0]), 3);
  t.is(await selectBackend('wasm'), wasm);
  await selectBackend('cpu');
  t.is(tf.getBackend(), 'cpu');
});

test.serial('auto picks the first backend that loads and reports why the others did not', async (t) => {
  const { name, report } = await selectBackend('auto');
  // With a native package installed, the first native one that loads wins; here neither installs and WebGPU has at
  // most a software adapter (never auto's choice), so wasm does.
  const firstLoaded = report.attempts.find((a) => a.ok)?.name;
  t.is(name as string | undefined, nodeInstalled ? firstLoaded : 'wasm');
  t.is(report.selected, name);
  t.deepEqual(report.attempts.map((a) => a.name), [...BACKEND_ORDER]);
  const gpu = report.attempts.find((a) => a.name === 'tfjs-node-gpu');
  t.false(gpu?.ok);
  t.truthy(gpu?.error);
  t.true(Object.keys(report.versions).includes('tfjs-core'));
});

test.serial('forcing an unavailable native backend names the underlying cause', async (t) => {
  if (nodeInstalled) return t.pass('tfjs-node is installed here');
  await t.throwsAsync(selectBackend('tfjs-node'), { message: /backend tfjs-node is not available: Cannot find package '@tensorflow\/tfjs-node'/ });
  await t.throwsAsync(selectBackend('tfjs-node-gpu'), { message: /tfjs-node-gpu is not available: .*tfjs-node-gpu/ });
});
