/**
 * Model benchmark: training tokens/s for three GPT shapes and sampling expressions/s, on the backend that loads
 * (`--backend` forces one), next to the PyTorch CPU figures measured on the same kind of machine
 * (docs/tfjs-on-cpu.md). Run: npx tsx bench/model.ts [--backend wasm|webgpu|…] [--quick]
 * On a CPU backend every shape is trained by both loops (train-loop.ts), host and device-resident, side by side.
 */
import { Rng } from '../common/rng.ts';
import { GPU_BACKENDS, selectBackend, wasmHeapBytes, type BackendName } from '../model/backend.ts';
import { DEFAULT_TRAIN, countParameters, type GPTConfig, type TrainConfig } from '../model/config.ts';
import { sampleGPT } from '../model/sample.ts';
import { loopFor, trainGPT } from '../model/train.ts';
import type { LoopKind } from '../model/train-loop.ts';

const argv = process.argv.slice(2);
const backendArg = argv.includes('--backend') ? (argv[argv.indexOf('--backend') + 1] as BackendName) : 'auto';
const quick = argv.includes('--quick');

interface Case {
  label: string;
  model: GPTConfig;
  batchSize: number;
  microBatch: number;
  steps: number;
  pytorch: number;
}

const CASES: Case[] = [
  { label: 'L2 H2 C64', model: gpt(2, 2, 64), batchSize: 32, microBatch: 32, steps: quick ? 6 : 40, pytorch: 48_000 },
  { label: 'L2 H4 C128', model: gpt(2, 4, 128), batchSize: 32, microBatch: 32, steps: quick ? 5 : 15, pytorch: 15_600 },
  { label: 'L6 H6 C384 (paper)', model: gpt(6, 6, 384), batchSize: 8, microBatch: 8, steps: quick ? 3 : 5, pytorch: 1_040 },
];

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

const { name, report } = await selectBackend(backendArg);
console.log(`backend: ${name}${report.wasm ? ` (SIMD ${report.wasm.simd ? 'on' : 'off'}, threads ${report.wasm.threads})` : ''}`);
const expressions = corpus(2000);
const rows: string[][] = [['task', 'params', 'batch', 'loop', 'ms/step', 'tok/s', 'PyTorch 1-thread', 'ratio', 'peak RSS', 'wasm heap']];
// A GPU backend queues a step's work and returns: there the steps after the first are timed together, up to the
// last one, whose loss read-back waits for the queue. CPU backends compute as they go and are timed step by step.
const queued = GPU_BACKENDS.has(name);
const loops: LoopKind[] = queued ? ['device'] : ['host', 'device'];
let sampleWeights: Awaited<ReturnType<typeof trainGPT>>['weights'] | undefined;

for (const c of CASES) {
  for (const loop of loops) {
    const train: TrainConfig = {
      ...DEFAULT_TRAIN, steps: c.steps, batchSize: c.batchSize, microBatch: c.microBatch, warmupSteps: 2,
      evalEvery: 0, evalBatches: 1, checkpointEvery: 0,
    };
    const ends: number[] = [];
    const result = await trainGPT({ model: c.model, train, expressions, seed: 1, loop, progress: () => ends.push(performance.now()) });
    if (c === CASES[0] && loop === loopFor(name)) sampleWeights = result.weights;
    // The first step warms up (kernel setup, heap growth); the last one also runs the final evaluation.
    const times = ends.slice(1).map((end, i) => end - ends[i]);
    const ms = queued ? (ends[ends.length - 1] - ends[0]) / (ends.length - 1) : median(times.slice(0, -1));
    const tokPerS = (c.batchSize * c.model.blockSize) / (ms / 1000);
    rows.push([
      `train ${c.label}, block 128`, `${(countParameters(c.model) / 1e6).toFixed(2)}M`, c.microBatch < c.batchSize ? `${c.batchSize} (${c.microBatch}x)` : `${c.batchSize}`,
      loop, ms.toFixed(0), tokPerS.toFixed(0), `${c.pytorch}`, (tokPerS / c.pytorch).toFixed(2), mb(peakRss()), mb(wasmHeapBytes()),
    ]);
  }
}

const n = quick ? 1000 : 10_000;
const start = performance.now();
const samples = await sampleGPT({ weights: sampleWeights!, n, temperature: 0.8, seed: 1 });
const seconds = (performance.now() - start) / 1000;
const meanLength = samples.reduce((s, x) => s + (x ? x.split(' ').length : 0), 0) / samples.length;
rows.push([
  `sample ${n} (L2 H2 C64, T=0.8, mean ${meanLength.toFixed(1)} tokens)`, '', '', '', '', '', '', '', mb(peakRss()), mb(wasmHeapBytes()),
]);
rows.push([`  ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(0)} expressions/s`, '', '', '', '', '', '', '', '', '']);

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
