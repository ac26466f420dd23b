/**
 * Training (docs/EXPERIMENT.md §2): AdamW with decoupled weight decay on 2-D weights, linear warm-up then cosine decay
 * to minLearningRate, global-norm clipping, gradient accumulation over micro-batches, a seeded 90/10 split with
 * periodic validation, best-weights selection and early stopping, and resumable checkpoints.
 *
 * Data: every example is EOS + tokens, concatenated into one cyclic stream (nanoGPT-style packing; the EOS before
 * each expression ends the previous one, and the stream wraps from the last expression to the first EOS), and
 * training windows of blockSize+1 tokens start at the EOS of a uniformly chosen expression. Packing wastes no compute
 * on padding, and starting at an EOS trains position 0 on exactly what sampling asks of it: begin an expression
 * after the start token. (Windows at arbitrary offsets, as nanoGPT takes them, showed position 0 mostly mid-
 * expression text; half the syntax errors of a 2-layer model were expressions that began inside parentheses.)
 *
 * The optimiser runs on the host over Float32Arrays: each micro-batch's gradients are read back and accumulated into
 * host buffers allocated once per run and zeroed every step. The read-backs cost little next to the forward/backward
 * pass, keep tf op overhead off the small models, and make parameters and Adam moments plain arrays for checkpoints.
 * Same seed and backend give the same weights; a resumed run repeats the same operations in the same order and so
 * gives bit-identical weights.
 */
import * as tf from '@tensorflow/tfjs';
import { Float64, Table, vectorFromArray } from 'apache-arrow';
import { ensureBackend } from './backend.ts';
import { fnv1a32, Rng, type RngState } from '../common/rng.ts';
import { parameterShapes, validateGPTConfig, type GPTConfig, type TrainConfig } from './config.ts';
import { initParameters, lossFn, toTensors, type Dropout, type HostParams } from './gpt.ts';
import { EOS, VOCAB_SIZE, encodeExpression } from './tokenizer.ts';
import { CONFIG_KEY, configFromTable, tensorsFromTable, tensorsToTable, weightsToTable, type TensorRecord } from './weights.ts';

export interface TrainProgress {
  step: number;
  total: number;
  trainLoss?: number;
  valLoss?: number;
  lr: number;
}

export interface Checkpointer {
  load(): Promise<Table | undefined>;
  save(table: Table): Promise<void>;
}

export interface TrainArgs {
  model: GPTConfig;
  train: TrainConfig;
  expressions: string[];
  seed: number;
  checkpoint?: Checkpointer;
  progress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainResult {
  weights: Table;
  /** One row per step: step, train_loss, val_loss (null between evaluations), lr. */
  log: Table;
  /** Step of the weights returned (the best validation loss; the last step if there was no evaluation). */
  bestStep: number;
  bestValLoss: number;
  stoppedEarly: boolean;
}

const STATE_KEY = 'train.state';

/** nanoGPT's schedule for the update at `step` (0-based): linear warm-up, cosine decay to the minimum at the end. */
export function learningRate(train: TrainConfig, step: number): number {
  if (step < train.warmupSteps) return (train.learningRate * (step + 1)) / (train.warmupSteps + 1);
  if (step >= train.steps) return train.minLearningRate;
  const ratio = (step - train.warmupSteps) / Math.max(1, train.steps - train.warmupSteps);
  return train.minLearningRate + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (train.learningRate - train.minLearningRate);
}

/** The cyclic token stream EOS e1 EOS e2 … EOS en. */
function packExpressions(expressions: readonly string[]): Int32Array {
  const ids: number[] = [];
  for (const text of expressions) ids.push(EOS, ...encodeExpression(text));
  return Int32Array.from(ids);
}

/** Offsets of the EOS before each expression: where training windows start. */
function expressionStarts(stream: Int32Array): Int32Array {
  const starts: number[] = [];
  stream.forEach((token, i) => {
    if (token === EOS) starts.push(i);
  });
  return Int32Array.from(starts);
}

/** rows windows of T+1 tokens from the cyclic stream at the given offsets, as inputs and shifted targets. */
function windows(stream: Int32Array, starts: readonly number[], T: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = new Int32Array(starts.length * T);
  const y = new Int32Array(starts.length * T);
  const L = stream.length;
  starts.forEach((start, r) => {
    for (let j = 0; j < T; j++) {
      x[r * T + j] = stream[(start + j) % L];
      y[r * T + j] = stream[(start + j + 1) % L];
    }
  });
  return { x: tf.tensor2d(x, [starts.length, T], 'int32'), y: tf.tensor2d(y, [starts.length, T], 'int32') };
}

/** Seeded split: the validation set is a valFraction share (at least one expression when there are two or more). */
function splitExpressions(expressions: readonly string[], valFraction: number, seed: number): { train: string[]; val: string[] } {
  const order = new Rng(`${seed}:split`).shuffle(expressions.map((_, i) => i));
  const nVal = expressions.length < 2 || valFraction <= 0 ? 0 : Math.min(expressions.length - 1, Math.max(1, Math.round(valFraction * expressions.length)));
  return { val: order.slice(0, nVal).map((i) => expressions[i]), train: order.slice(nVal).map((i) => expressions[i]) };
}

interface LogRow {
  step: number;
  trainLoss: number;
  valLoss: number | null;
  lr: number;
}

/** Everything a resumed run needs besides the tensors. */
interface TrainState {
  step: number;
  rng: RngState;
  bestStep: number;
  bestValLoss: number | null;
  evalsSinceBest: number;
  seed: number;
  dataHash: string;
  log: LogRow[];
}

export async function trainGPT(args: TrainArgs): Promise<TrainResult> {
  const { model: config, train, seed } = args;
  await ensureBackend();
  validateGPTConfig(config);
  if (config.vocabSize < VOCAB_SIZE) throw new Error(`vocabSize ${config.vocabSize} is smaller than the token vocabulary (${VOCAB_SIZE})`);
  if (args.expressions.length === 0) throw new Error('trainGPT: no training expressions');
  const micro = Math.max(1, Math.min(train.microBatch ?? train.batchSize, train.batchSize));
  const split = splitExpressions(args.expressions, train.valFraction, seed);
  const trainStream = packExpressions(split.train);
  const valStream = split.val.length > 0 ? packExpressions(split.val) : trainStream;
  const trainStarts = expressionStarts(trainStream);
  const valStarts = expressionStarts(valStream);
  const T = config.blockSize;
  const shapes = parameterShapes(config);
  const names = shapes.map(([name]) => name);
  const decays = shapes.map(([, shape]) => shape.length === 2);
  // Gradient accumulators, reused by every step (at paper scale they are tens of MB).
  const grads = shapes.map(([, shape]) => new Float32Array(shape.reduce((a, b) => a * b, 1)));

  // Fixed evaluation windows, so successive validation losses are comparable.
  const evalRng = new Rng(`${seed}:eval`);
  const evalStarts = Array.from({ length: Math.max(1, train.evalBatches) }, () => Array.from({ length: micro }, () => valStarts[evalRng.int(valStarts.length)]));

  let params = initParameters(config, new Rng(`${seed}:init`));
  let m = zerosLike(params);
  let v = zerosLike(params);
  let best: HostParams | undefined;
  let state: TrainState = {
    step: 0, rng: new Rng(`${seed}:batches`).state(), bestStep: 0, bestValLoss: null, evalsSinceBest: 0, seed,
    dataHash: hashStream(trainStream, valStream), log: [],
  };
  const saved = await args.checkpoint?.load();
  if (saved) ({ params, m, v, best, state } = restore(saved, config, state));
  const rng = Rng.fromState(state.rng);
  const dropout: Dropout | undefined = config.dropout > 0 ? { rate: config.dropout, nextSeed: () => rng.nextUint32() } : undefined;

  const evaluate = (): number => {
    const current = toTensors(config, params);
    try {
      let sum = 0;
      for (const starts of evalStarts) {
        sum += tf.tidy(() => {
          const { x, y } = windows(valStream, starts, T);
          return lossFn(config, current, x, y).dataSync()[0];
        });
      }
      return sum / evalStarts.length;
    } finally {
      tf.dispose(Object.values(current));
    }
  };

  let stoppedEarly = false;
  while (state.step < train.steps) {
    if (args.signal?.aborted) throw args.signal.reason ?? new Error('training aborted');
    const lr = learningRate(train, state.step);
    const loss = gradients(config, params, names, grads, trainStream, trainStarts, T, train.batchSize, micro, rng, dropout);
    clipByGlobalNorm(grads, train.gradClip);
    adamW(params, m, v, grads, names, decays, lr, state.step + 1, train);
    state.step++;

    const row: LogRow = { step: state.step, trainLoss: loss, valLoss: null, lr };
    if ((train.evalEvery > 0 && state.step % train.evalEvery === 0) || state.step === train.steps) {
      row.valLoss = evaluate();
      if (state.bestValLoss === null || row.valLoss < state.bestValLoss) {
        state.bestValLoss = row.valLoss;
        state.bestStep = state.step;
        state.evalsSinceBest = 0;
        best = copyParams(params);
      } else if (train.earlyStopPatience > 0 && ++state.evalsSinceBest >= train.earlyStopPatience) {
        stoppedEarly = true;
      }
    }
    state.log.push(row);
    args.progress?.({ step: state.step, total: train.steps, trainLoss: loss, valLoss: row.valLoss ?? undefined, lr });
    if (args.checkpoint && train.checkpointEvery > 0 && state.step % train.checkpointEvery === 0 && state.step < train.steps) {
      state.rng = rng.state();
      await args.checkpoint.save(checkpointTable(config, params, m, v, best, state));
    }
    if (stoppedEarly) break;
    await new Promise((resolve) => setImmediate(resolve)); // let abort signals and I/O through
  }

  const final = best ?? params;
  return {
    weights: weightsToTable(config, final),
    log: logTable(state.log),
    bestStep: best ? state.bestStep : state.step,
    bestValLoss: state.bestValLoss ?? Number.NaN,
    stoppedEarly,
  };
}

/**
 * Mean loss over batchSize windows, returned, and its gradient, written into `grads` (one buffer per parameter, in
 * `names` order; overwritten): micro-batch gradients are read back one by one and accumulated, weighted by their rows.
 */
function gradients(
  config: GPTConfig, params: HostParams, names: string[], grads: Float32Array[], stream: Int32Array,
  origins: Int32Array, T: number, batchSize: number, micro: number, rng: Rng, dropout: Dropout | undefined,
): number {
  for (const g of grads) g.fill(0);
  const current = toTensors(config, params);
  const xs = names.map((n) => current[n]);
  let loss = 0;
  try {
    for (let done = 0; done < batchSize; done += micro) {
      const rows = Math.min(micro, batchSize - done);
      const starts = Array.from({ length: rows }, () => origins[rng.int(origins.length)]);
      const weight = rows / batchSize;
      tf.tidy(() => {
        const { x, y } = windows(stream, starts, T);
        const f = (...ps: tf.Tensor[]): tf.Scalar => lossFn(config, Object.fromEntries(names.map((n, i) => [n, ps[i]])), x, y, dropout);
        const { value, grads: g } = tf.valueAndGrads(f)(xs);
        loss += weight * value.dataSync()[0];
        g.forEach((gi, i) => {
          const data = gi.dataSync();
          const acc = grads[i];
          if (weight === 1) acc.set(data);
          else for (let j = 0; j < acc.length; j++) acc[j] += weight * data[j];
        });
      });
    }
  } finally {
    tf.dispose(xs);
  }
  return loss;
}

function clipByGlobalNorm(grads: Float32Array[], maxNorm: number): void {
  if (!(maxNorm > 0)) return;
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const coef = maxNorm / (Math.sqrt(sq) + 1e-6);
  if (coef >= 1) return;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
}

/** PyTorch's AdamW: p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + ε), with decay only on 2-D weights. */
function adamW(
  params: HostParams, m: HostParams, v: HostParams, grads: Float32Array[], names: string[], decays: boolean[],
  lr: number, t: number, train: TrainConfig,
): void {
  const { beta1, beta2 } = train;
  const bc1 = 1 - beta1 ** t;
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const eps = 1e-8;
  names.forEach((name, k) => {
    const p = params.get(name)!;
    const mk = m.get(name)!;
    const vk = v.get(name)!;
    const g = grads[k];
    const shrink = decays[k] ? 1 - lr * train.weightDecay : 1;
    for (let i = 0; i < p.length; i++) {
      mk[i] = beta1 * mk[i] + (1 - beta1) * g[i];
      vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i];
      p[i] = p[i] * shrink - (lr / bc1) * (mk[i] / (Math.sqrt(vk[i]) / bc2Sqrt + eps));
    }
  });
}

function zerosLike(params: HostParams): HostParams {
  return new Map([...params].map(([name, values]) => [name, new Float32Array(values.length)]));
}

function copyParams(params: HostParams): HostParams {
  return new Map([...params].map(([name, values]) => [name, values.slice()]));
}

/** FNV-1a over the streams, each followed by a 0xff separator: a checkpoint resumes only on the data it was trained on. */
function hashStream(...streams: Int32Array[]): string {
  let h = fnv1a32([]); // the offset basis
  for (const s of streams) h = fnv1a32([0xff], fnv1a32(s, h));
  return h.toString(16);
}

/** Checkpoint tensor groups: each tensor is stored as `${group}/${parameter name}`. */
const GROUPS = ['param', 'adam_m', 'adam_v', 'best'] as const;
type Group = (typeof GROUPS)[number];

function checkpointTable(config: GPTConfig, params: HostParams, m: HostParams, v: HostParams, best: HostParams | undefined, state: TrainState): Table {
  const records: TensorRecord[] = [];
  const groups: Record<Group, HostParams | undefined> = { param: params, adam_m: m, adam_v: v, best };
  for (const group of GROUPS) {
    const values = groups[group];
    if (!values) continue;
    for (const [name, shape] of parameterShapes(config)) records.push({ name: `${group}/${name}`, shape, values: values.get(name)! });
  }
  return tensorsToTable(records, new Map([[CONFIG_KEY, JSON.stringify(config)], [STATE_KEY, JSON.stringify(state)]]));
}

function restore(table: Table, config: GPTConfig, fresh: TrainState): { params: HostParams; m: HostParams; v: HostParams; best?: HostParams; state: TrainState } {
  if (JSON.stringify(configFromTable(table)) !== JSON.stringify(config)) throw new Error('checkpoint was written for a different model config');
  const text = table.schema.metadata.get(STATE_KEY);
  if (!text) throw new Error(`not a training checkpoint: no ${STATE_KEY} in the metadata`);
  const state = JSON.parse(text) as TrainState;
  if (state.seed !== fresh.seed || state.dataHash !== fresh.dataHash) throw new Error('checkpoint was written for a different seed or training data');
  const groups = new Map<string, HostParams>(GROUPS.map((g) => [g, new Map()]));
  for (const record of tensorsFromTable(table)) {
    const slash = record.name.indexOf('/');
    groups.get(record.name.slice(0, slash))?.set(record.name.slice(slash + 1), record.values);
  }
  const best = groups.get('best')!;
  return { params: groups.get('param')!, m: groups.get('adam_m')!, v: groups.get('adam_v')!, best: best.size > 0 ? best : undefined, state };
}

function logTable(rows: LogRow[]): Table {
  return new Table({
    step: vectorFromArray(Int32Array.from(rows, (r) => r.step)),
    train_loss: vectorFromArray(Float64Array.from(rows, (r) => r.trainLoss)),
    val_loss: vectorFromArray(rows.map((r) => r.valLoss), new Float64()),
    lr: vectorFromArray(Float64Array.from(rows, (r) => r.lr)),
  });
}
