/**
 * A kernel profiler for `bench/model.ts --profile`: wraps every kernel registered for the active backend with a
 * timer and charges each call to the part of the model that issued it. Forward kernels are charged to the innermost
 * top-level declaration of model/gpt.ts or model/ops.ts on the call stack (fusedLayerNorm, causalSelfAttention,
 * block, forward, ...); backward kernels to the declaration that recorded the tape node they differentiate. The wasm
 * backend runs kernels synchronously, so each timer measures the kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MODEL_FILES = ['../model/gpt.ts', '../model/ops.ts'].map((f) => fileURLToPath(new URL(f, import.meta.url)));

/** ops.ts's helpers that run a fused kernel for the op that called them: the op is the part. */
const DISPATCH = new Set(['run', 'fused']);

/** Line number (1-based) → name of the top-level declaration of the file that contains it. */
function declarationsByLine(file: string): string[] {
  const names: string[] = [];
  let current = 'module';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export )?(?:async )?(?:function|const|let) (\w+)/.exec(line);
    if (m) current = m[1];
    names.push(current);
  }
  return ['module', ...names];
}

interface Engine {
  state: { activeTape: Array<{ gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor> }> | null };
  addTapeNode(...args: unknown[]): void;
}

export interface KernelProfile {
  /** Forgets what was recorded so far (call after warm-up). */
  reset(): void;
  /** Milliseconds per (part, kernel) since the last reset, largest first. */
  rows(): Array<{ part: string; kernel: string; ms: number; calls: number }>;
}

export function profileKernels(): KernelProfile {
  const backendName = tf.getBackend();
  const lines = new Map(MODEL_FILES.map((f) => [f, declarationsByLine(f)]));
  const escape = (f: string): string => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`(${MODEL_FILES.map(escape).join('|')}):(\\d+):`);
  Error.stackTraceLimit = 64; // tfjs's own frames would otherwise hide the model's
  const callerPart = (): string | undefined => {
    for (const l of new Error().stack!.split('\n')) {
      const m = frame.exec(l);
      const part = m ? lines.get(m[1])![Number(m[2])] : undefined;
      if (part && !DISPATCH.has(part)) return part;
    }
    return undefined;
  };
  let backwardPart: string | undefined;
  const engine = tf.engine() as unknown as Engine;
  const addTapeNode = engine.addTapeNode.bind(engine);
  engine.addTapeNode = (...args: unknown[]) => {
    addTapeNode(...args);
    const tape = engine.state.activeTape;
    const node = tape?.[tape.length - 1];
    const gradient = node?.gradient;
    if (!node || !gradient) return;
    const part = `${callerPart() ?? 'other'} (backward)`;
    const charged = <T>(run: () => T): T => {
      const outer = backwardPart;
      backwardPart = part;
      try {
        return run();
      } finally {
        backwardPart = outer;
      }
    };
    // A gradient function returns one thunk per input, which the engine calls later: charge those too.
    node.gradient = (dys) => {
      const thunks = charged(() => gradient(dys)) as Record<string, () => tf.Tensor>;
      return Object.fromEntries(Object.entries(thunks).map(([input, thunk]) => [input, () => charged(thunk)]));
    };
  };
  const totals = new Map<string, { part: string; kernel: string; ms: number; calls: number }>();
  for (const config of tf.getKernelsForBackend(backendName)) {
    const run = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const part = backwardPart ?? callerPart() ?? 'other';
        const start = performance.now();
        const out = run(args);
        const ms = performance.now() - start;
        const key = `${part}\0${config.kernelName}`;
        const entry = totals.get(key) ?? { part, kernel: config.kernelName, ms: 0, calls: 0 };
        entry.ms += ms;
        entry.calls++;
        totals.set(key, entry);
        return out;
      },
    });
  }
  return {
    reset: () => totals.clear(),
    rows: () => [...totals.values()].sort((a, b) => b.ms - a.ms),
  };
}

/** Prints a profile: the step's mean time, the share outside kernels, per part and the top kernels. */
export function printProfile(label: string, rows: ReturnType<KernelProfile['rows']>, timed: number[]): void {
  const steps = timed.length;
  const stepMs = timed.reduce((a, b) => a + b, 0) / steps;
  const parts = new Map<string, number>();
  for (const r of rows) parts.set(r.part, (parts.get(r.part) ?? 0) + r.ms / steps);
  const inKernels = [...parts.values()].reduce((a, b) => a + b, 0);
  const share = (ms: number): string => `${((100 * ms) / stepMs).toFixed(1)}%`;
  console.log(
    `\nprofile ${label}: ${stepMs.toFixed(1)} ms per step (mean of ${steps}), ${inKernels.toFixed(1)} ms in kernels`,
  );
  console.log(
    `  outside kernels (tfjs bookkeeping, uploads, read-backs, clipping, AdamW): ${(stepMs - inKernels).toFixed(1)} ms ${share(stepMs - inKernels)}`,
  );
  for (const [part, ms] of [...parts].sort((a, b) => b[1] - a[1]))
    console.log(`  ${part.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms ${share(ms).padStart(6)}`);
  console.log('  top kernels:');
  for (const r of rows.slice(0, 20)) {
    console.log(
      `    ${`${r.part} / ${r.kernel}`.padEnd(48)} ${(r.ms / steps).toFixed(2).padStart(7)} ms ${share(r.ms / steps).padStart(6)}  ${Math.round(r.calls / steps)} calls`,
    );
  }
}
