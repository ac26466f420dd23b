/**
 * A kernel profiler for `bench/model.ts --profile`: wraps every kernel registered for the active backend with a
 * timer and charges each call to the part of model/gpt.ts that issued it. Forward kernels are charged to the
 * innermost top-level declaration of gpt.ts on the call stack (layerNormOp, gelu, linear, forward, ...); backward
 * kernels to the declaration that recorded the tape node they differentiate. Attention is told apart inside
 * `forward` by its 4-D tensors. The wasm backend runs kernels synchronously, so each timer measures the kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const GPT_FILE = fileURLToPath(new URL('../model/gpt.ts', import.meta.url));

/** Line number (1-based) → name of the top-level declaration of gpt.ts that contains it. */
function declarationsByLine(): string[] {
  const names: string[] = [];
  let current = 'module';
  for (const line of readFileSync(GPT_FILE, 'utf8').split('\n')) {
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
  const lines = declarationsByLine();
  const frame = new RegExp(`${GPT_FILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):`);
  Error.stackTraceLimit = 64; // tfjs's own frames would otherwise hide gpt.ts's
  const callerPart = (): string | undefined => {
    for (const l of new Error().stack!.split('\n')) {
      const m = frame.exec(l);
      if (m) return lines[Number(m[1])];
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
        let part = backwardPart ?? callerPart() ?? 'other';
        const inputs = Object.values(args.inputs) as tf.TensorInfo[];
        if (part === 'forward' && inputs.some((x) => x.shape.length === 4)) part = 'attention';
        if (part === 'forward (backward)' && inputs.some((x) => x.shape.length === 4)) part = 'attention (backward)';
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
