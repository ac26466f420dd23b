/**
 * Training, checkpoints and sampling on the wasm backend with tiny models, on each of its kernel sets (WebAssembly,
 * and native where it loads: test/fixtures/native.ts).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../common/rng.ts';
import { selectBackend } from '../model/backend.ts';
import type { GPTConfig } from '../model/config.ts';
import { DEFAULT_KERNELS, selectKernels } from '../model/kernel-set.ts';
import { loadNative } from '../model/native.ts';
import { sampleGPT } from '../model/sample.ts';
import { learningRate, trainGPT } from '../model/train.ts';
import { adamW, clipByGlobalNorm } from '../model/train-host.ts';
import { bits, encodeAll, expressions, resumesBitExact } from './fixtures/model.ts';
import { kernelSetsHere } from './fixtures/native.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';
import { trainSettings } from './fixtures/train-settings.ts';

const SETS = kernelSetsHere();

async function use(set: 'wasm' | 'native'): Promise<void> {
  const { name } = await selectBackend('wasm');
  selectKernels(name, { ...DEFAULT_KERNELS, kernels: set });
}

const TINY: GPTConfig = { vocabSize: 8, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0.1 };
const SHORT = trainSettings({
  steps: 12,
  batch_size: 8,
  micro_batch: 3,
  warmup_steps: 3,
  eval_every: 4,
  eval_batches: 2,
  checkpoint_every: 5,
});
const DATA = encodeAll(expressions(40, 3, 7));

test.serial('learning-rate schedule: warm-up, cosine decay, floor', (t) => {
  const train = trainSettings({ steps: 1000, warmup_steps: 100, learning_rate: 1e-3, min_learning_rate: 1e-4 });
  t.true(Math.abs(learningRate(train, 0) - 1e-3 / 101) < 1e-12);
  t.true(Math.abs(learningRate(train, 100) - 1e-3) < 1e-12);
  t.true(Math.abs(learningRate(train, 550) - 5.5e-4) < 1e-12);
  t.true(Math.abs(learningRate(train, 1000) - 1e-4) < 1e-12);
});

for (const set of SETS) {
  test.serial(`${set}: same seed gives the same weights; another seed does not`, async (t) => {
    await use(set);
    const a = await trainGPT({ model: TINY, train: SHORT, examples: DATA, seed: 11 });
    const b = await trainGPT({ model: TINY, train: SHORT, examples: DATA, seed: 11 });
    const c = await trainGPT({ model: TINY, train: SHORT, examples: DATA, seed: 12 });
    t.deepEqual(bits(a.weights), bits(b.weights));
    t.notDeepEqual(bits(a.weights), bits(c.weights));
    t.deepEqual(
      a.log.map((r) => r.step),
      Array.from({ length: SHORT.steps }, (_, i) => i + 1),
    );
  });

  test.serial(`${set}: a killed and resumed run ends with the same weights as an uninterrupted one`, async (t) => {
    await use(set);
    await resumesBitExact.exec(t, { model: TINY, train: SHORT, examples: DATA, seed: 21 }, 8);
  });
  test.serial(`${set}: the same without dropout (every op fused on native)`, async (t) => {
    await use(set);
    await resumesBitExact.exec(t, { model: { ...TINY, dropout: 0 }, train: SHORT, examples: DATA, seed: 22 }, 7);
  });

  test.serial(`${set}: early stopping returns the best weights seen`, async (t) => {
    await use(set);
    // A learning rate this high makes validation loss worse after the first evaluations.
    const train = {
      ...SHORT,
      steps: 60,
      learning_rate: 0.3,
      min_learning_rate: 0.3,
      warmup_steps: 0,
      eval_every: 2,
      early_stop_patience: 2,
      grad_clip: 0,
    };
    const result = await trainGPT({ model: TINY, train, examples: DATA, seed: 5 });
    const vals = result.log.flatMap((r) => (r.valLoss === null ? [] : [r.valLoss]));
    t.true(result.stoppedEarly);
    t.is(result.bestValLoss, Math.min(...vals));
    t.true(result.log.length < 60);
  });

  test.serial(`${set}: a 1,000-step training loop does not leak tensors or wasm buffers`, async (t) => {
    await use(set);
    const before = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    const counts: number[] = [];
    await trainGPT({
      model: TINY,
      train: { ...SHORT, steps: 1000, eval_every: 100 },
      examples: DATA,
      seed: 2,
      progress: () => counts.push(tf.memory().numTensors),
    });
    t.deepEqual(new Set(counts), new Set([before]));
    t.is(tf.memory().numTensors, before);
    t.is(tf.engine().backend.numDataIds(), buffers);
  });

  test.serial(`${set}: a tiny model overfits 50 expressions and sampling reproduces them`, async (t) => {
    await use(set);
    const data = expressions(50, 2, 1);
    const model: GPTConfig = { vocabSize: 8, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 96, dropout: 0 };
    const train = trainSettings({
      steps: 350,
      batch_size: 32,
      micro_batch: 32,
      learning_rate: 6e-3,
      min_learning_rate: 6e-4,
      warmup_steps: 20,
      weight_decay: 0,
      eval_every: 50,
      eval_batches: 2,
      val_fraction: 0,
    });
    const result = await trainGPT({ model, train, examples: encodeAll(data), seed: 1 });
    // A model that knows the set but not its order in the stream cannot tell which expression follows an EOS: its
    // loss is the entropy of the expression distribution spread over the tokens of an example (EOS included).
    // Learning the order too gets below that.
    const counts = new Map<string, number>();
    for (const e of data) counts.set(e, (counts.get(e) ?? 0) + 1);
    const entropy = [...counts.values()].reduce((h, c) => h - (c / data.length) * Math.log(c / data.length), 0);
    const floor = entropy / (data.reduce((n, e) => n + e.split(' ').length + 1, 0) / data.length);
    t.true(result.bestValLoss < floor + 0.05, `loss ${result.bestValLoss}, floor ${floor}`);
    const before = tf.memory().numTensors;
    const samples = (
      await sampleGPT({ weights: result.weights, n: 200, temperature: 0.1, seed: 3, batchSize: 64 })
    ).map((ids) => logicTokenizer.decode(ids));
    t.is(samples.length, 200);
    t.is(tf.memory().numTensors, before);
    const known = new Set(data);
    const inTraining = samples.filter((s) => known.has(s)).length / samples.length;
    t.true(inTraining > 0.5, `${inTraining} of samples are training expressions`);
    t.log(`loss ${result.bestValLoss}, floor ${floor}, ${inTraining} of samples in the training set`);
    const again = await sampleGPT({ weights: result.weights, n: 200, temperature: 0.1, seed: 3, batchSize: 64 });
    t.deepEqual(
      again.map((ids) => logicTokenizer.decode(ids)),
      samples,
    );
  });
}

test.serial('native AdamW and clipping give the bits of the JavaScript ones', (t) => {
  if (!SETS.includes('native')) return t.pass('no native kernels here (test/fixtures/native.ts said why)');
  const native = loadNative();
  if ('error' in native) throw new Error(native.error);
  const rng = new Rng('adamw');
  const sizes = [7, 64, 1];
  const draw = (scale: number): Float32Array[] =>
    sizes.map((n) => Float32Array.from({ length: n }, () => scale * rng.normal()));
  const [params, m, v, grads] = [draw(1), draw(0.1), draw(0.1).map((a) => a.map(Math.abs)), draw(5)];
  const names = sizes.map((_, i) => `p${i}`);
  const host = (arrays: Float32Array[]): Map<string, Float32Array> =>
    new Map(names.map((n, i) => [n, arrays[i].slice()]));
  const js = { params: host(params), m: host(m), v: host(v), grads: grads.map((g) => g.slice()) };
  const train = trainSettings({ beta1: 0.9, beta2: 0.99, weight_decay: 0.1 });
  const decays = [true, false, true];
  for (let step = 1; step <= 3; step++) {
    clipByGlobalNorm(js.grads, 1);
    adamW(js.params, js.m, js.v, js.grads, names, decays, 3e-3, step, train);
    native.addon.clipByGlobalNorm(grads, 1);
    native.addon.adamW(
      params,
      m,
      v,
      grads,
      decays,
      3e-3,
      train.beta1,
      train.beta2,
      train.weight_decay,
      1 - train.beta1 ** step,
      Math.sqrt(1 - train.beta2 ** step),
    );
  }
  t.deepEqual(grads, js.grads);
  t.deepEqual(params, [...js.params.values()]);
  t.deepEqual(m, [...js.m.values()]);
  t.deepEqual(v, [...js.v.values()]);
});
