/**
 * The webgpu backend against the cpu backend, on whatever adapter Dawn finds (CI: Mesa's lavapipe from
 * bookworm-backports, a CPU implementation of Vulkan): loss and gradients, a short training, KV-cache decoding,
 * a micro repro, and auto's rule that a software adapter is never its choice. Without an adapter these tests are
 * skipped with the reason, unless CI=true, where they run (and fail, naming what is missing).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Rng } from '../common/rng.ts';
import { selectBackend, type BackendName } from '../model/backend.ts';
import { parameterSpecs, type GPTConfig } from '../model/config.ts';
import { initParameters, lossFn, toTensors } from '../model/gpt.ts';
import { trainGPT } from '../model/train.ts';
import { webgpuAdapter } from '../model/webgpu.ts';
import { encodeAll, expressions, kvCacheMatchesForward, maxWeightDifference } from './fixtures/model.ts';
import { trainSettings } from './fixtures/train-settings.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const run = promisify(execFile);

const missing = await webgpuAdapter().then(
  () => undefined,
  (error: Error) => error.message,
);
const gpuTest = missing !== undefined && process.env.CI !== 'true' ? test.serial.skip : test.serial;
if (gpuTest === test.serial.skip) console.warn(`webgpu tests skipped (CI is unset): ${missing}`);

const TINY: GPTConfig = { vocabSize: 8, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0 };

/** Loss and gradients of a tiny GPT with non-trivial weights on one batch, read back from `backend`. */
async function lossAndGradients(backend: BackendName): Promise<Float32Array[]> {
  await selectBackend(backend);
  const rng = new Rng(8);
  const host = initParameters(TINY, rng);
  for (const values of host.values()) for (let i = 0; i < values.length; i++) values[i] += 0.1 * rng.normal();
  const names = parameterSpecs(TINY).map(({ name }) => name);
  const p = toTensors(TINY, host);
  const ids = (): tf.Tensor2D =>
    tf.tensor2d(
      Int32Array.from({ length: 4 * TINY.blockSize }, () => rng.int(8)),
      [4, TINY.blockSize],
      'int32',
    );
  const [x, y] = [ids(), ids()];
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    lossFn(TINY, Object.fromEntries(names.map((n, i) => [n, ps[i]])), x, y),
  )(names.map((n) => p[n]));
  const out = (await Promise.all([value, ...grads].map((g) => g.data()))) as Float32Array[];
  tf.dispose([x, y, value, ...grads, ...Object.values(p)]);
  return out;
}

gpuTest('a tiny GPT has the loss and gradients of the cpu backend on webgpu', async (t) => {
  const cpu = await lossAndGradients('cpu');
  const gpu = await lossAndGradients('webgpu');
  t.is(gpu.length, cpu.length);
  let err = 0;
  cpu.forEach((ref, k) => {
    const scale = Math.max(1e-12, ...Array.from(ref, Math.abs));
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(gpu[k][i] - ref[i]) / scale);
  });
  t.log(`largest relative difference: ${err}`);
  t.true(err < 1e-4, `relative difference ${err}`);
  t.true(cpu[0][0] > 1, 'a loss, not a zero');
});

gpuTest('30 steps of training on webgpu end within float32 rounding of the cpu backend', async (t) => {
  const train = trainSettings({
    steps: 30,
    batch_size: 8,
    micro_batch: 4,
    warmup_steps: 3,
    learning_rate: 3e-3,
    eval_every: 10,
    eval_batches: 2,
    checkpoint_every: 0,
  });
  const args = { model: TINY, train, examples: encodeAll(expressions(40, 3, 7)), seed: 3 };
  await selectBackend('cpu');
  const cpu = await trainGPT(args);
  await selectBackend('webgpu');
  const before = tf.memory().numTensors;
  const gpu = await trainGPT(args);
  t.is(tf.memory().numTensors, before);
  const diff = maxWeightDifference(cpu.weights, gpu.weights);
  t.log(`max |Δw| after 30 steps: ${diff}`);
  t.true(diff < 1e-4, `max |Δw| ${diff}`);
  t.true(Math.abs(gpu.bestValLoss - cpu.bestValLoss) < 1e-4);
  await t.throwsAsync(trainGPT({ ...args, loop: 'host' }), {
    message: /host training loop reads back synchronously.*webgpu/,
  });
});

gpuTest('KV-cache decoding gives the logits of the full forward pass (webgpu)', kvCacheMatchesForward, 'webgpu');

gpuTest('auto chooses webgpu only for a real GPU adapter and reports the adapter', async (t) => {
  const adapter = await webgpuAdapter();
  const { name, report } = await selectBackend('auto');
  t.deepEqual(report.webgpuAdapter, adapter);
  const attempt = report.attempts.find((a) => a.name === 'webgpu')!;
  if (adapter.software) {
    t.not(name, 'webgpu');
    t.regex(attempt.error ?? '', /software one \(vendor .*\): auto never picks it/);
  } else {
    t.is(name, report.attempts.find((a) => a.ok)!.name);
    t.true(attempt.ok);
  }
  t.log(`adapter: ${adapter.vendor} / ${adapter.architecture} / ${adapter.description}`);
});

gpuTest('a micro repro on runtime.backend=webgpu records webgpu for its train and sample nodes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-repro-'));
  copyFileSync(join(ROOT, 'params.yaml'), join(dir, 'params.yaml'));
  const sets = [
    'generations=1',
    'data.n=32',
    'model.layers=1',
    'model.heads=2',
    'model.width=16',
    'model.block_size=64',
    'train.steps=6',
    'train.eval_every=3',
    'train.eval_batches=1',
    'train.warmup_steps=1',
    'sample.batch_size=32',
    'sweep.cycle.name=[full_synthetic]',
    'sweep.cycle.lambda=[0.5]',
    'runtime.backend=webgpu',
  ].flatMap((s) => ['--set', s]);
  const store = join(dir, 'store');
  await run(
    process.execPath,
    [
      '--import',
      TSX,
      join(ROOT, 'pipeline.ts'),
      'repro',
      '-p',
      join(dir, 'params.yaml'),
      '--store',
      store,
      '--jobs',
      '1',
      ...sets,
    ],
    { cwd: ROOT },
  );
  const records = readdirSync(join(store, 'runs')).map((f) => JSON.parse(readFileSync(join(store, 'runs', f), 'utf8')));
  const model = records.filter((r) => r.stage === 'train' || r.stage === 'sample');
  t.deepEqual(model.map((r) => r.stage).sort(), ['sample', 'train']);
  for (const r of model) t.is(r.metrics.backend, 'webgpu', r.stage);
});

test.serial('without a Vulkan driver, forcing webgpu fails and says what it needs', async (t) => {
  const env = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
  const error = await t.throwsAsync(
    run(process.execPath, ['--import', TSX, join(ROOT, 'pipeline.ts'), 'doctor', '--backend', 'webgpu'], {
      cwd: ROOT,
      env,
    }),
  );
  t.regex(
    (error as Error & { stderr: string }).stderr,
    /backend webgpu is not available: Dawn found no WebGPU adapter: it needs a Vulkan driver/,
  );
});
