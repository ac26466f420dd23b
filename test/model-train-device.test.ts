/**
 * The device-resident training loop against the host loop, on the cpu backend (where both run): the same training
 * to within float32 rounding, bit-exact resume, no leaked tensors.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../model/backend.ts';
import type { GPTConfig } from '../model/config.ts';
import { loopFor, trainGPT } from '../model/train.ts';
import { encodeAll, expressions, maxWeightDifference, resumesBitExact } from './fixtures/model.ts';
import { trainSettings } from './fixtures/train-settings.ts';

test.before(async () => {
  await selectBackend('cpu');
});

// Dropout and micro-batches on, so that both loops must draw windows and masks from the seed in the same order.
const TINY: GPTConfig = { vocabSize: 8, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0.1 };
const TRAIN = trainSettings({
  steps: 50,
  batch_size: 8,
  micro_batch: 3,
  warmup_steps: 5,
  learning_rate: 3e-3,
  eval_every: 10,
  eval_batches: 2,
  checkpoint_every: 20,
});
const DATA = encodeAll(expressions(40, 3, 7));

test.serial('each backend trains with its loop: GPU backends on the device, the others on the host', (t) => {
  t.deepEqual(
    ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'].map((b) => loopFor(b as Parameters<typeof loopFor>[0])),
    ['device', 'device', 'host', 'host', 'host'],
  );
});

test.serial('50 steps of the device loop end within float32 rounding of the host loop', async (t) => {
  const host = await trainGPT({ model: TINY, train: TRAIN, examples: DATA, seed: 4, loop: 'host' });
  const device = await trainGPT({ model: TINY, train: TRAIN, examples: DATA, seed: 4, loop: 'device' });
  const diff = maxWeightDifference(host.weights, device.weights);
  t.log(`max |Δw| after 50 steps: ${diff}`);
  t.true(diff < 1e-4, `max |Δw| ${diff}`);
  // And the device loop really ran: its float32 rounding differs from the host loop's (were `loop` ignored, 0).
  t.true(diff > 0, 'the two runs are bit-identical: the device loop did not run');
  // The tolerance tells trainings apart: another seed ends far outside it.
  const other = await trainGPT({ model: TINY, train: TRAIN, examples: DATA, seed: 5, loop: 'device' });
  t.true(maxWeightDifference(host.weights, other.weights) > 100 * 1e-4);
  t.is(device.bestStep, host.bestStep);
  t.true(Math.abs(device.bestValLoss - host.bestValLoss) < 1e-4);
  const losses = (log: typeof host.log) => log.map((r) => r.trainLoss);
  const [h, d] = [losses(host.log), losses(device.log)];
  t.is(d.length, TRAIN.steps);
  t.true(
    d.every((x, i) => Math.abs(x - h[i]) < 1e-4),
    "every step's train loss read back and close to the host loop's",
  );
});

test.serial(
  'the device loop, killed and resumed, ends bit for bit where an uninterrupted one does',
  resumesBitExact,
  { model: TINY, train: TRAIN, examples: DATA, seed: 9, loop: 'device' },
  27,
);

test.serial('the device loop leaves no tensor behind', async (t) => {
  const before = tf.memory().numTensors;
  await trainGPT({ model: TINY, train: { ...TRAIN, steps: 30 }, examples: DATA, seed: 2, loop: 'device' });
  t.is(tf.memory().numTensors, before);
});
