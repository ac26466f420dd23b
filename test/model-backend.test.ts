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
  t.deepEqual(wasm.report.wasm?.kernelOverrides, [
    'BatchMatMul',
    'Slice',
    'SplitV',
    'UnsortedSegmentSum',
    'Sum',
    'GatherV2',
    'Identity',
    'Cast',
  ]);
  t.is(
    tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()[0]),
    3,
  );
  t.is(await selectBackend('wasm'), wasm);
  await selectBackend('cpu');
  t.is(tf.getBackend(), 'cpu');
});

test.serial('auto picks the first backend that loads and reports why the others did not', async (t) => {
  const { name, report } = await selectBackend('auto');
  // Here tfjs-node-gpu finds no GPU (or no package) and WebGPU has at most a software adapter (never auto's choice),
  // so tfjs-node wins where it is installed and wasm where it is not.
  t.is(name, nodeInstalled ? 'tfjs-node' : 'wasm');
  t.is(report.selected, name);
  t.deepEqual(
    report.attempts.map((a) => a.name),
    [...BACKEND_ORDER],
  );
  const chosen = BACKEND_ORDER.indexOf(name);
  t.true(report.attempts[chosen].ok);
  // Every backend tried before the chosen one failed and says why. (Those after it keep whatever an earlier test
  // recorded: the first test loaded cpu and wasm.)
  for (const attempt of report.attempts.slice(0, chosen)) {
    t.false(attempt.ok, attempt.name);
    t.truthy(attempt.error, attempt.name);
  }
  t.true(Object.keys(report.versions).includes('tfjs-core'));
});

test.serial('forcing tfjs-node loads it where it is installed, else names the missing package', async (t) => {
  if (nodeInstalled) {
    const native = await selectBackend('tfjs-node');
    t.is(native.name, 'tfjs-node');
    t.is(native.report.tfBackend, 'tensorflow');
    t.is(tf.getBackend(), 'tensorflow');
    t.is(
      tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()[0]),
      3,
    );
  } else {
    await t.throwsAsync(selectBackend('tfjs-node'), {
      message: /backend tfjs-node is not available: Cannot find package '@tensorflow\/tfjs-node'/,
    });
  }
});

test.serial('forcing tfjs-node-gpu on a host without its GPU setup names the cause', async (t) => {
  // Without the package, the import error; with a native package loaded (either one) but no GPU it can use, that.
  await t.throwsAsync(selectBackend('tfjs-node-gpu'), {
    message:
      /^backend tfjs-node-gpu is not available: (Cannot find package '@tensorflow\/tfjs-node-gpu'|@tensorflow\/tfjs-node-gpu loaded but sees no GPU)/,
  });
});
