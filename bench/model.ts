/**
 * Model benchmark: training tokens/s for three GPT shapes on the backend that loads (`--backend` forces one), each
 * measured right after the PyTorch reference of the same GPT (bench/torch_gpt.py, one thread) when
 * `/usr/bin/python3 -c 'import torch'` works, and sampling expressions/s.
 * Run: npx tsx bench/model.ts [--backend wasm] [--quick] [--rounds N] [--case 'L2 H4'] [--profile]
 * --rounds repeats every training measurement (the pair side by side each time); --profile prints where a step's
 * time goes (bench/kernel-profile.ts) instead of sampling. On a CPU backend every shape is trained by both loops
 * (train-loop.ts), host and device-resident, side by side. A second table gives each shape's matmul ceiling
 * (bench/matmul-ceiling.ts): the step's matmuls replayed alone, here and in PyTorch, and the ratio to PyTorch's
 * whole step that we would reach if every other op cost nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../common/rng.ts';
import { selectBackend, wasmHeapBytes, type BackendName } from '../model/backend.ts';
import { countParameters, type GPTConfig } from '../model/config.ts';
import { sampleGPT } from '../model/sample.ts';
import { loopFor, trainGPT } from '../model/train.ts';
import type { LoopKind } from '../model/train-loop.ts';
import { formatTable } from '../experiment/text-table.ts';
import { profileKernels, type KernelProfile } from './kernel-profile.ts';
import { matMulFlops, matMulKind, replayMs, stepMatMuls, type MatMulCall } from './matmul-ceiling.ts';
import { trainSettings } from '../test/fixtures/train-settings.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const backendArg = (option('--backend') ?? 'auto') as BackendName | 'auto';
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const rounds = Number(option('--rounds') ?? 1);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds: expected a positive integer, got ${option('--rounds')}`);
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('torch_gpt.py', import.meta.url));
// One thread: torch's own pool, and OpenBLAS's (which reads OPENBLAS_NUM_THREADS before OMP_NUM_THREADS).
const TORCH_ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

interface Case {
  label: string;
  model: GPTConfig;
  batchSize: number;
  microBatch: number;
  steps: number;
}

const ALL_CASES: Case[] = [
  { label: 'L2 H2 C64', model: gpt(2, 2, 64), batchSize: 32, microBatch: 32, steps: quick ? 6 : 40 },
  { label: 'L2 H4 C128', model: gpt(2, 4, 128), batchSize: 32, microBatch: 32, steps: quick ? 5 : 15 },
  { label: 'L6 H6 C384 (paper)', model: gpt(6, 6, 384), batchSize: 8, microBatch: 8, steps: quick ? 3 : 5 },
];
const caseFilter = option('--case');
const CASES = ALL_CASES.filter((c) => !caseFilter || c.label.includes(caseFilter));
if (CASES.length === 0) throw new Error(`--case '${caseFilter}' matches none of: ${ALL_CASES.map((c) => c.label).join(', ')}`);

function gpt(nLayer: number, nHead: number, nEmbd: number): GPTConfig {
  return { vocabSize: 8, blockSize: 128, nLayer, nHead, nEmbd, dropout: 0 };
}

/** Random expressions of the language, enough to fill many training windows. */
function corpus(n: number): string[] {
  const rng = new Rng('bench-model');
  const expr = (d: number): string => {
    if (d === 0 || rng.next() < 0.25) return rng.next() < 0.5 ? 'True' : 'False';
    const r = rng.int(3);
    return r === 0 ? `not ${expr(d - 1)}` : `( ${expr(d - 1)} ${r === 1 ? 'and' : 'or'} ${expr(d - 1)} )`;
  };
  return Array.from({ length: n }, () => expr(4));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${Math.round(bytes / 2 ** 20)} MB`);
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

interface TorchResult {
  tokens_per_s: number;
  blas: string;
  torch: string;
}

const torchCheck = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const torchSkipped = torchCheck.status === 0 ? undefined : (torchCheck.error?.message ?? torchCheck.stderr.trim().split('\n').at(-1));

/** The PyTorch reference of one case, in a child process (one thread; its first step is excluded). */
function torchReference(c: Case): TorchResult {
  const { nLayer, nHead, nEmbd, blockSize, vocabSize } = c.model;
  const args = [TORCH_SCRIPT, '--layers', nLayer, '--heads', nHead, '--width', nEmbd, '--block', blockSize, '--vocab', vocabSize, '--batch', c.batchSize, '--steps', c.steps];
  const run = spawnSync(PYTHON, args.map(String), { encoding: 'utf8', env: TORCH_ENV });
  if (run.status !== 0) throw new Error(`${TORCH_SCRIPT} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

/** PyTorch's median ms for each of the same matmul calls (bench/torch_gpt.py --matmuls, one thread). */
function torchMatMulMs(calls: readonly MatMulCall[], rounds: number): number[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'matmuls-'));
  try {
    const file = path.join(dir, 'calls.json');
    writeFileSync(file, JSON.stringify(calls));
    const run = spawnSync(PYTHON, [TORCH_SCRIPT, '--matmuls', file, '--steps', String(rounds)], { encoding: 'utf8', env: TORCH_ENV });
    if (run.status !== 0) throw new Error(`${TORCH_SCRIPT} --matmuls failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
    return (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { matmul_ms: number[] }).matmul_ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const expressions = corpus(2000);

/**
 * Median ms of the timed steps of one training run; with a profile, the kernels of those steps too. A GPU backend
 * (`queued`) queues a step's work and returns: there the steps after the first are timed together, up to the last
 * one, whose loss read-back waits for the queue. CPU backends compute as they go and are timed step by step.
 */
async function trainCase(c: Case, loop: LoopKind, queued: boolean, kernels?: KernelProfile): Promise<{ ms: number; weights: Awaited<ReturnType<typeof trainGPT>>['weights'] }> {
  const train = trainSettings({
    steps: c.steps, batch_size: c.batchSize, micro_batch: c.microBatch, warmup_steps: 2, eval_every: 0, eval_batches: 1, checkpoint_every: 0,
  });
  const times: number[] = [];
  let last = performance.now();
  let profiled: ReturnType<KernelProfile['rows']> = [];
  const result = await trainGPT({
    model: c.model, train, expressions, seed: 1, loop,
    progress: ({ step, total }) => {
      const now = performance.now();
      times.push(now - last);
      last = now;
      if (step === 1) kernels?.reset();
      if (step === total - 1 && kernels) profiled = kernels.rows();
    },
  });
  // The first step warms up (kernel setup, heap growth); the last one also runs the final evaluation.
  const timed = times.slice(1, -1);
  if (kernels) printProfile(c, profiled, timed);
  const ms = queued ? times.slice(1).reduce((a, b) => a + b, 0) / (times.length - 1) : median(timed);
  return { ms, weights: result.weights };
}

function printProfile(c: Case, rows: ReturnType<KernelProfile['rows']>, timed: number[]): void {
  const steps = timed.length;
  const stepMs = timed.reduce((a, b) => a + b, 0) / steps;
  const parts = new Map<string, number>();
  for (const r of rows) parts.set(r.part, (parts.get(r.part) ?? 0) + r.ms / steps);
  const inKernels = [...parts.values()].reduce((a, b) => a + b, 0);
  const share = (ms: number): string => `${((100 * ms) / stepMs).toFixed(1)}%`;
  console.log(`\nprofile ${c.label}: ${stepMs.toFixed(1)} ms per step (mean of ${steps}), ${inKernels.toFixed(1)} ms in kernels`);
  console.log(`  outside kernels (tfjs bookkeeping, uploads, read-backs, clipping, JS AdamW): ${(stepMs - inKernels).toFixed(1)} ms ${share(stepMs - inKernels)}`);
  for (const [part, ms] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`  ${part.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms ${share(ms).padStart(6)}`);
  console.log('  top kernels:');
  for (const r of rows.slice(0, 20)) {
    console.log(`    ${`${r.part} / ${r.kernel}`.padEnd(40)} ${(r.ms / steps).toFixed(2).padStart(7)} ms ${share(r.ms / steps).padStart(6)}  ${Math.round(r.calls / steps)} calls`);
  }
}

const { name, report } = await selectBackend(backendArg);
console.log(`backend: ${name}${report.wasm ? ` (SIMD ${report.wasm.simd ? 'on' : 'off'}, threads ${report.wasm.threads})` : ''}`);
const kernels = profile ? profileKernels() : undefined;
if (torchSkipped) console.log(`PyTorch reference skipped: ${PYTHON} -c 'import torch' failed (${torchSkipped})`);
const rows: string[][] = [['task', 'params', 'batch', 'loop', 'ms/step', 'tok/s', 'PyTorch 1-thread', 'ratio', 'peak RSS', 'wasm heap']];
const ceilingRows: string[][] = [];
const queued = loopFor(name) === 'device';
const loops: LoopKind[] = queued ? ['device'] : ['host', 'device'];
let sampleWeights: Awaited<ReturnType<typeof trainGPT>>['weights'] | undefined;
let blasPrinted = false;

for (let round = 0; round < rounds; round++) {
  for (const c of CASES) {
    const torch = torchSkipped || profile ? undefined : torchReference(c);
    if (torch && !blasPrinted) {
      console.log(`PyTorch ${torch.torch}, BLAS loaded: ${torch.blas}`);
      blasPrinted = true;
    }
    for (const loop of loops) {
      const { ms, weights } = await trainCase(c, loop, queued, kernels);
      if (c.label === 'L2 H2 C64' && loop === loopFor(name)) sampleWeights = weights;
      const tokPerS = (c.batchSize * c.model.blockSize) / (ms / 1000);
      rows.push([
        `train ${c.label}, block 128`, `${(countParameters(c.model) / 1e6).toFixed(2)}M`, c.microBatch < c.batchSize ? `${c.batchSize} (${c.microBatch}x)` : `${c.batchSize}`,
        loop, ms.toFixed(0), tokPerS.toFixed(0), torch ? torch.tokens_per_s.toFixed(0) : 'skipped', torch ? (tokPerS / torch.tokens_per_s).toFixed(2) : '-',
        mb(peakRss()), mb(wasmHeapBytes()),
      ]);
    }
    if (!profile && round === 0) ceilingRows.push(...matMulCeiling(c, torch));
  }
}

/**
 * Rows of the ceiling table for one shape: every kind of matmul (matmul-ceiling.ts) and the whole step's, here and in
 * PyTorch, and the ratio to PyTorch's whole step that this step's matmuls alone would allow.
 */
function matMulCeiling(c: Case, torch: TorchResult | undefined): string[][] {
  const microBatches = c.batchSize / c.microBatch;
  const calls = stepMatMuls(c.model, c.microBatch);
  const replays = Math.max(3, c.steps);
  const ours = replayMs(calls, replays);
  const theirs = torch ? torchMatMulMs(calls, replays) : undefined;
  const kinds = [...new Set(calls.map(matMulKind))];
  const sum = (times: number[], kind?: string): number => microBatches * calls.reduce((s, call, i) => s + (kind && matMulKind(call) !== kind ? 0 : times[i]), 0);
  const flops = (kind?: string): number => microBatches * calls.reduce((s, call) => s + (kind && matMulKind(call) !== kind ? 0 : matMulFlops(call)), 0);
  const rate = (ms: number, kind?: string): string => `${ms.toFixed(1)} ms (${(flops(kind) / 1e6 / ms).toFixed(1)} GFLOP/s)`;
  const row = (label: string, kind?: string): string[] => [
    label, `${(flops(kind) / 1e9).toFixed(2)} (${calls.filter((call) => !kind || matMulKind(call) === kind).length} calls)`,
    rate(sum(ours, kind), kind), theirs ? rate(sum(theirs, kind), kind) : 'skipped',
  ];
  const ceilingTokPerS = (c.batchSize * c.model.blockSize) / (sum(ours) / 1000);
  return [
    ...kinds.map((kind) => [...row(`${c.label}: ${kind}`, kind), '', '']),
    [...row(`${c.label}: all matmuls`), ceilingTokPerS.toFixed(0), torch ? (ceilingTokPerS / torch.tokens_per_s).toFixed(2) : '-'],
  ];
}

if (sampleWeights && !profile) {
  const n = quick ? 1000 : 10_000;
  const start = performance.now();
  const samples = await sampleGPT({ weights: sampleWeights, n, temperature: 0.8, seed: 1 });
  const seconds = (performance.now() - start) / 1000;
  const meanLength = samples.reduce((s, x) => s + (x ? x.split(' ').length : 0), 0) / samples.length;
  rows.push([
    `sample ${n} (L2 H2 C64, T=0.8, mean ${meanLength.toFixed(1)} tokens)`, '', '', '', '', '', '', '', mb(peakRss()), mb(wasmHeapBytes()),
  ]);
  rows.push([`  ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(0)} expressions/s`, '', '', '', '', '', '', '', '', '']);
}

console.log(formatTable(rows[0], rows.slice(1)));
if (ceilingRows.length > 0) {
  console.log('\nmatmul ceiling: a step\'s matmuls replayed alone; tok/s if every other op were free, and its ratio to PyTorch\'s whole step');
  console.log(formatTable(['matmuls of a step', 'GFLOP/step', 'here', 'PyTorch', 'ceiling tok/s', 'ceiling ratio'], ceilingRows));
}
