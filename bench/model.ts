/**
 * Model benchmark: a whole training step of three GPT shapes on each kernel set of the wasm backend (native: OpenBLAS
 * and native/kernels.c; wasm: WebAssembly's), each measured right after the PyTorch reference of the same GPT
 * (bench/torch_gpt.py, one thread) when `/usr/bin/python3 -c 'import torch'` works; then sampling 10,000
 * expressions at the default shape on each kernel set. Every measurement runs in a fresh process, so its peak RSS is
 * its own. Ratios are PyTorch's time over ours (above 1: faster than PyTorch), by wall clock and by CPU time.
 * Run: npx tsx bench/model.ts [--quick] [--rounds N] [--case 'L2 H4'] [--kernels native,wasm] [--threads 2]
 *      [--coretype SkylakeX] [--backend webgpu] [--profile]
 * --threads and --coretype apply to the native kernel set (defaults: 1 and Haswell, what the stages use); --backend
 * measures another backend instead of the wasm kernel sets; --profile prints where a step's time goes
 * (bench/kernel-profile.ts), in this process, on the first kernel set.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../common/rng.ts';
import type { BackendName, BlasCoretype } from '../model/backend-names.ts';
import { countParameters, type GPTConfig } from '../model/config.ts';
import { formatTable } from '../experiment/text-table.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';
import { trainSettings } from '../test/fixtures/train-settings.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const rounds = Number(option('--rounds') ?? 1);
if (!(Number.isInteger(rounds) && rounds >= 1))
  throw new Error(`--rounds: expected a positive integer, got ${option('--rounds')}`);
const threads = Number(option('--threads') ?? 1);
const coretype = (option('--coretype') ?? 'Haswell') as BlasCoretype;
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('torch_gpt.py', import.meta.url));
// One thread: torch's own pool, and OpenBLAS's (which reads OPENBLAS_NUM_THREADS before OMP_NUM_THREADS).
const TORCH_ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

interface Case {
  label: string;
  model: GPTConfig;
  batchSize: number;
  steps: number;
}

/** A kernel set to measure: a backend, and on wasm which kernels. */
interface Target {
  label: string;
  backend: BackendName;
  kernels?: 'native' | 'wasm';
}

const ALL_CASES: Case[] = [
  { label: 'L2 H2 C64', model: gpt(2, 2, 64), batchSize: 32, steps: quick ? 6 : 40 },
  { label: 'L2 H4 C128', model: gpt(2, 4, 128), batchSize: 32, steps: quick ? 5 : 15 },
  { label: 'L6 H6 C384 (paper)', model: gpt(6, 6, 384), batchSize: 8, steps: quick ? 3 : 8 },
];
const caseFilter = option('--case');
const CASES = ALL_CASES.filter((c) => !caseFilter || c.label.includes(caseFilter));
if (CASES.length === 0)
  throw new Error(`--case '${caseFilter}' matches none of: ${ALL_CASES.map((c) => c.label).join(', ')}`);
const backendArg = option('--backend') as BackendName | undefined;
const TARGETS: Target[] =
  backendArg && backendArg !== 'wasm'
    ? [{ label: backendArg, backend: backendArg }]
    : (option('--kernels') ?? 'native,wasm').split(',').map((k) => {
        if (k !== 'native' && k !== 'wasm') throw new Error(`--kernels: expected native and/or wasm, got '${k}'`);
        return {
          label: k === 'native' ? `native (${coretype}, ${threads} thread${threads === 1 ? '' : 's'})` : 'wasm',
          backend: 'wasm' as const,
          kernels: k,
        };
      });

function gpt(nLayer: number, nHead: number, nEmbd: number): GPTConfig {
  return { vocabSize: 8, blockSize: 128, nLayer, nHead, nEmbd, dropout: 0 };
}

/** Random expressions of the language as token ids, enough to fill many training windows. */
function corpus(n: number): number[][] {
  const rng = new Rng('bench-model');
  const expr = (d: number): string => {
    if (d === 0 || rng.next() < 0.25) return rng.next() < 0.5 ? 'True' : 'False';
    const r = rng.int(3);
    return r === 0 ? `not ${expr(d - 1)}` : `( ${expr(d - 1)} ${r === 1 ? 'and' : 'or'} ${expr(d - 1)} )`;
  };
  return Array.from({ length: n }, () => logicTokenizer.encode(expr(4)));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${Math.round(bytes / 2 ** 20)} MB`);

/** What one child process measured. */
interface Measured {
  kernels: string;
  wallMs?: number;
  cpuMs?: number;
  seconds?: number;
  meanTokens?: number;
  peakRss: number;
  heap?: number;
}

interface TorchResult {
  ms_per_step: number;
  cpu_ms_per_step: number;
  blas: string;
  torch: string;
}

/** Selects the target's backend and kernel set in this process; returns its description. */
async function activate(target: Target): Promise<string> {
  const { selectBackend } = await import('../model/backend.ts');
  const { DEFAULT_KERNELS, kernelSetText, selectKernels } = await import('../model/kernel-set.ts');
  const { name } = await selectBackend(target.backend);
  return kernelSetText(
    selectKernels(name, {
      ...DEFAULT_KERNELS,
      kernels: target.kernels ?? 'auto',
      blas_coretype: coretype,
      blas_threads: threads,
    }),
  );
}

/**
 * Child: trains one case (or samples) on one target and prints what it measured as JSON. Steps are timed one by one
 * (wall and CPU time); the first warms up and the last also evaluates, so the median is over the others. A GPU
 * backend queues a step's work and returns, so there the steps after the first are timed together.
 */
async function child(target: Target, task: string): Promise<Measured> {
  const kernels = await activate(target);
  const { wasmHeapBytes } = await import('../model/backend.ts');
  const { loopFor, trainGPT } = await import('../model/train.ts');
  const peakRss = (): number => process.resourceUsage().maxRSS * 1024;
  if (task === 'sample') {
    // The same weights for every kernel set (trained on WebAssembly's), so that each samples expressions of the
    // same lengths; then the target's kernel set samples.
    const { sampleGPT } = await import('../model/sample.ts');
    const c = ALL_CASES[0];
    if (target.backend === 'wasm') await activate({ ...target, kernels: 'wasm' });
    const { weights } = await trainGPT({
      model: c.model,
      train: settings({ ...c, steps: 30 }),
      examples: corpus(2000),
      seed: 1,
    });
    await activate(target);
    const start = performance.now();
    const samples = await sampleGPT({ weights, n: quick ? 1000 : 10_000, temperature: 0.8, seed: 1 });
    const tokens = samples.reduce((n, x) => n + x.length + 1, 0);
    return {
      kernels,
      seconds: (performance.now() - start) / 1000,
      meanTokens: tokens / samples.length,
      peakRss: peakRss(),
      heap: wasmHeapBytes(),
    };
  }
  const c = CASES.find((x) => x.label === task)!;
  const wall: number[] = [];
  const cpu: number[] = [];
  let [lastWall, lastCpu] = [performance.now(), process.cpuUsage()];
  await trainGPT({
    model: c.model,
    train: settings(c),
    examples: corpus(2000),
    seed: 1,
    progress: () => {
      const [now, used] = [performance.now(), process.cpuUsage(lastCpu)];
      wall.push(now - lastWall);
      cpu.push((used.user + used.system) / 1000);
      [lastWall, lastCpu] = [now, process.cpuUsage()];
    },
  });
  const queued = loopFor(target.backend) === 'device';
  const timed = (xs: number[]): number =>
    queued ? xs.slice(1).reduce((a, b) => a + b, 0) / (xs.length - 1) : median(xs.slice(1, -1));
  return { kernels, wallMs: timed(wall), cpuMs: timed(cpu), peakRss: peakRss(), heap: wasmHeapBytes() };
}

function settings(c: Case): ReturnType<typeof trainSettings> {
  return trainSettings({
    steps: c.steps,
    batch_size: c.batchSize,
    micro_batch: c.batchSize,
    warmup_steps: 2,
    eval_every: 0,
    eval_batches: 1,
    checkpoint_every: 0,
  });
}

/** Runs child() for a target and task in a fresh process. */
function measure(target: Target, task: string): Measured | string {
  const args = [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    ...argv,
    '--child',
    JSON.stringify({ target, task }),
  ];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (run.status !== 0) return `failed (exit ${run.status ?? run.signal}): ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Measured;
}

const torchCheck = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const torchSkipped =
  torchCheck.status === 0 ? undefined : (torchCheck.error?.message ?? torchCheck.stderr.trim().split('\n').at(-1));

/** The PyTorch reference of one case, in a child process (one thread; its first step is excluded). */
function torchReference(c: Case): TorchResult {
  const { nLayer, nHead, nEmbd, blockSize, vocabSize } = c.model;
  const args = [
    TORCH_SCRIPT,
    '--layers',
    nLayer,
    '--heads',
    nHead,
    '--width',
    nEmbd,
    '--block',
    blockSize,
    '--vocab',
    vocabSize,
    '--batch',
    c.batchSize,
    '--steps',
    c.steps,
  ];
  const run = spawnSync(PYTHON, args.map(String), { encoding: 'utf8', env: TORCH_ENV });
  if (run.status !== 0)
    throw new Error(`${TORCH_SCRIPT} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

async function profileMode(): Promise<void> {
  const { profileKernels, printProfile } = await import('./kernel-profile.ts');
  const { trainGPT } = await import('../model/train.ts');
  console.log(`kernels: ${await activate(TARGETS[0])}`);
  const profiler = profileKernels();
  for (const c of CASES) {
    const times: number[] = [];
    let last = performance.now();
    let rows: ReturnType<typeof profiler.rows> = [];
    await trainGPT({
      model: c.model,
      train: settings(c),
      examples: corpus(2000),
      seed: 1,
      progress: ({ step, total }) => {
        const now = performance.now();
        times.push(now - last);
        last = now;
        if (step === 1) profiler.reset();
        if (step === total - 1) rows = profiler.rows();
      },
    });
    printProfile(c.label, rows, times.slice(1, -1));
  }
}

async function main(): Promise<void> {
  const childArg = option('--child');
  if (childArg) {
    const { target, task } = JSON.parse(childArg) as { target: Target; task: string };
    console.log(JSON.stringify(await child(target, task)));
    return;
  }
  if (argv.includes('--profile')) return profileMode();
  if (torchSkipped) console.log(`PyTorch reference skipped: ${PYTHON} -c 'import torch' failed (${torchSkipped})`);
  const rows: string[][] = [];
  let blasPrinted = false;
  for (let round = 0; round < rounds; round++) {
    for (const c of CASES) {
      const torch = torchSkipped ? undefined : torchReference(c);
      if (torch && !blasPrinted) console.log(`PyTorch ${torch.torch}, one thread, BLAS loaded: ${torch.blas}`);
      blasPrinted ||= Boolean(torch);
      const tokens = c.batchSize * c.model.blockSize;
      rows.push([
        `train ${c.label}`,
        `${(countParameters(c.model) / 1e6).toFixed(2)}M`,
        `${c.batchSize}`,
        'PyTorch 1.13',
        torch ? torch.ms_per_step.toFixed(1) : 'skipped',
        torch ? torch.cpu_ms_per_step.toFixed(1) : '-',
        torch ? ((tokens / torch.ms_per_step) * 1000).toFixed(0) : '-',
        '1.00',
        '1.00',
        '-',
      ]);
      for (const target of TARGETS) {
        const m = measure(target, c.label);
        if (typeof m === 'string') {
          rows.push(['', '', '', target.label, m, '', '', '', '', '']);
          continue;
        }
        const ratio = (ours: number, theirs: number | undefined): string =>
          theirs === undefined ? '-' : (theirs / ours).toFixed(2);
        rows.push([
          '',
          '',
          '',
          m.kernels,
          m.wallMs!.toFixed(1),
          m.cpuMs!.toFixed(1),
          ((tokens / m.wallMs!) * 1000).toFixed(0),
          ratio(m.wallMs!, torch?.ms_per_step),
          ratio(m.cpuMs!, torch?.cpu_ms_per_step),
          `${mb(m.peakRss)} (heap ${mb(m.heap)})`,
        ]);
      }
    }
  }
  console.log(
    formatTable(
      [
        'task',
        'params',
        'batch',
        'kernels',
        'wall ms/step',
        'CPU ms/step',
        'tok/s',
        'ratio (wall)',
        'ratio (CPU)',
        'peak RSS',
      ],
      rows,
    ),
  );
  const n = quick ? 1000 : 10_000;
  const sampleRows = TARGETS.map((target) => {
    const m = measure(target, 'sample');
    if (typeof m === 'string') return [target.label, m, '', '', ''];
    return [
      m.kernels,
      `${m.seconds!.toFixed(2)} s`,
      `${(n / m.seconds!).toFixed(0)}`,
      m.meanTokens!.toFixed(1),
      `${mb(m.peakRss)} (heap ${mb(m.heap)})`,
    ];
  });
  console.log(
    `\nsampling ${n} expressions (L2 H2 C64, block 128, T = 0.8) from the same weights, each kernel set in its own process`,
  );
  console.log(formatTable(['kernels', 'time', 'expressions/s', 'mean tokens', 'peak RSS'], sampleRows));
}

await main();
