/**
 * Threads benchmark of tfjs's threaded WebAssembly build: does one training go faster on both cores? Generation 0's
 * training is the only node of the default sweep that runs alone, so this trains the default's shape (params.yaml's
 * model and train sections, fewer steps) on the wasm kernels with 1 thread and with --threads N (model/wasm-threads.ts;
 * the stages use OpenBLAS threads instead, runtime.lone_node_threads: docs/tfjs-on-cpu.md), each in a fresh
 * process, alternately, and prints ms per step, the speed-up, sampling time, and whether the trained weights and
 * the samples are bit for bit the same.
 * Run: npx tsx bench/threads.ts [--threads 2] [--steps 100] [--rounds 2]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../experiment/text-table.ts';
import { loadParams } from '../experiment/params.ts';
import { selectBackend } from '../model/backend.ts';
import { initWasmThreaded } from '../model/wasm-threads.ts';
import { sampleGPT } from '../model/sample.ts';
import { trainGPT } from '../model/train.ts';
import { gptConfig } from '../model/config.ts';
import { readTask } from '../tasks/registry.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const value = argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback;
  if (!(Number.isInteger(value) && value >= 1))
    throw new Error(`${name}: expected a positive integer, got ${argv[argv.indexOf(name) + 1]}`);
  return value;
};
const threads = option('--threads', 2);
const steps = option('--steps', 100);
if (steps < 3)
  throw new Error(`--steps: expected at least 3 (the first step warms up, the last evaluates), got ${steps}`);
const rounds = option('--rounds', 2);
const SAMPLES = 1000;

interface ChildResult {
  threads: number;
  grantedThreads: number;
  msPerStep: number;
  sampleSeconds: number;
  weights: string;
  samples: string;
}

/** One training and sampling with `count` threads, in this process; printed as a JSON line. */
async function child(count: number): Promise<ChildResult> {
  await initWasmThreaded(count);
  const { report } = await selectBackend('wasm');
  const params = loadParams(fileURLToPath(new URL('../params.yaml', import.meta.url)));
  const { task, options } = readTask(params.task);
  const { tokenizer, realRows } = await task.load(options);
  const examples = realRows({ n: params.data.n, seed: 1 }).map((line) => tokenizer.encode(line));
  const times: number[] = [];
  let last = performance.now();
  const { weights } = await trainGPT({
    model: gptConfig(params.model, tokenizer.vocabulary.length),
    train: { ...params.train, steps, eval_every: 0, checkpoint_every: 0 },
    examples,
    seed: 1,
    progress: () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
    },
  });
  const timed = times.slice(1, -1).sort((a, b) => a - b); // the first step warms up, the last one evaluates
  const start = performance.now();
  const samples = await sampleGPT({ weights, n: SAMPLES, temperature: params.sample.temperature, seed: 1 });
  const sampleSeconds = (performance.now() - start) / 1000;
  const digest = createHash('sha256');
  for (const [name, values] of weights.params)
    digest.update(name).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return {
    threads: count,
    grantedThreads: report.wasm!.threads,
    msPerStep: timed[Math.floor(timed.length / 2)],
    sampleSeconds,
    weights: digest.digest('hex').slice(0, 16),
    samples: createHash('sha256')
      .update(samples.map((ids) => tokenizer.decode(ids)).join('\n'))
      .digest('hex')
      .slice(0, 16),
  };
}

if (argv.includes('--child')) {
  console.log(JSON.stringify(await child(option('--child', 1))));
  process.exit(0); // the threaded build's pthread workers would keep the process alive
} else {
  const runChild = (count: number): ChildResult => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(count), '--steps', String(steps)],
      { encoding: 'utf8' },
    );
    if (run.status !== 0)
      throw new Error(
        `bench/threads.ts --child ${count} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`,
      );
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildResult;
  };
  const results: ChildResult[] = [];
  for (let round = 0; round < rounds; round++) results.push(runChild(1), runChild(threads));
  const single = results.filter((r) => r.threads === 1);
  const best = (count: number): ChildResult =>
    results.filter((r) => r.threads === count).sort((a, b) => a.msPerStep - b.msPerStep)[0];
  const rows = results.map((r) => [
    String(r.threads),
    String(r.grantedThreads),
    r.msPerStep.toFixed(1),
    (best(1).msPerStep / r.msPerStep).toFixed(2),
    r.sampleSeconds.toFixed(2),
    (best(1).sampleSeconds / r.sampleSeconds).toFixed(2),
    r.weights,
    r.samples,
  ]);
  console.log(`default shape (params.yaml), ${steps} steps, wasm; speed-ups against the fastest 1-thread run`);
  console.log(
    formatTable(
      [
        'threads',
        'granted',
        'ms/step',
        'train speed-up',
        `sample ${SAMPLES} s`,
        'sample speed-up',
        'weights',
        'samples',
      ],
      rows,
    ),
  );
  const same = results.every((r) => r.weights === single[0].weights && r.samples === single[0].samples);
  console.log(same ? 'weights and samples: identical in every run' : 'weights or samples DIFFER between runs');
  if (!same) process.exitCode = 1;
}
