/**
 * Training (docs/EXPERIMENT.md §2): AdamW with decoupled weight decay on 2-D weights, linear warm-up then cosine decay
 * to min_learning_rate, global-norm clipping, gradient accumulation over micro-batches, a seeded 90/10 split with
 * periodic validation, best-weights selection and early stopping, and resumable checkpoints. The data are packed
 * as batches.ts describes.
 *
 * This module owns the schedule and the bookkeeping; the update itself runs in one of two loops (train-loop.ts):
 * on the host (wasm, cpu, tfjs-node) or resident on the device (GPU backends), chosen by the backend. Same seed,
 * backend and loop give the same weights; a resumed run repeats the same operations in the same order and so gives
 * bit-identical weights.
 */
import { ensureBackend, GPU_BACKENDS, type BackendName } from './backend.ts';
import { packExamples, splitExamples } from './batches.ts';
import { fnv1a32, Rng, type RngState } from '../common/rng.ts';
import { validateGPTConfig, type GPTConfig } from './config.ts';
import type { TrainSection } from './config.ts';
import { initParameters, type Dropout, type HostParams, type Weights } from './gpt.ts';
import { deviceLoop } from './train-device.ts';
import { hostLoop } from './train-host.ts';
import type { LoopKind, OptimiserState } from './train-loop.ts';

export interface TrainProgress {
  step: number;
  total: number;
  trainLoss?: number;
  valLoss?: number;
  lr: number;
}

/** Everything a resumed run starts from. */
export interface TrainingCheckpoint {
  config: GPTConfig;
  state: TrainState;
  tensors: OptimiserState;
}

/** Where checkpoints go (the train stage stores them as tables: stages/weights-table.ts). */
export interface Checkpointer {
  load(): Promise<TrainingCheckpoint | undefined>;
  save(checkpoint: TrainingCheckpoint): Promise<void>;
}

export interface TrainArgs {
  model: GPTConfig;
  train: TrainSection;
  /** The training examples as token ids, without the end token: the config's last id (vocabSize − 1). */
  examples: readonly (readonly number[])[];
  seed: number;
  checkpoint?: Checkpointer;
  progress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** Which training loop; default: loopFor(the backend). */
  loop?: LoopKind;
}

export interface TrainResult {
  weights: Weights;
  /** One row per step. */
  log: LogRow[];
  /** Step of the weights returned (the best validation loss; the last step if there was no evaluation). */
  bestStep: number;
  bestValLoss: number;
  stoppedEarly: boolean;
}

/** nanoGPT's schedule for the update at `step` (0-based): linear warm-up, cosine decay to the minimum at the end. */
export function learningRate(train: TrainSection, step: number): number {
  if (step < train.warmup_steps) return (train.learning_rate * (step + 1)) / (train.warmup_steps + 1);
  if (step >= train.steps) return train.min_learning_rate;
  const ratio = (step - train.warmup_steps) / Math.max(1, train.steps - train.warmup_steps);
  return (
    train.min_learning_rate + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (train.learning_rate - train.min_learning_rate)
  );
}

export interface LogRow {
  step: number;
  /** NaN until the loop has read it back (the device loop reads losses at evaluations and checkpoints). */
  trainLoss: number;
  valLoss: number | null;
  lr: number;
}

/** Everything a resumed run needs besides the tensors. */
export interface TrainState {
  step: number;
  rng: RngState;
  bestStep: number;
  bestValLoss: number | null;
  evalsSinceBest: number;
  seed: number;
  dataHash: string;
  log: LogRow[];
}

/** The loop a backend trains with: GPU backends keep the model on the device, the others on the host. */
export function loopFor(backend: BackendName): LoopKind {
  return GPU_BACKENDS.has(backend) ? 'device' : 'host';
}

export async function trainGPT(args: TrainArgs): Promise<TrainResult> {
  const { model: config, train, seed } = args;
  const backend = await ensureBackend();
  const loopKind = args.loop ?? loopFor(backend);
  if (loopKind === 'host' && backend === 'webgpu')
    throw new Error(
      'the host training loop reads back synchronously, which the webgpu backend cannot do: use the device loop',
    );
  validateGPTConfig(config);
  if (args.examples.length === 0) throw new Error('trainGPT: no training examples');
  const eos = config.vocabSize - 1;
  for (const [i, example] of args.examples.entries()) {
    const bad = example.find((id) => !(Number.isInteger(id) && id >= 0 && id < eos));
    if (bad !== undefined)
      throw new Error(
        `trainGPT: example ${i} has token id ${bad}, outside 0..${eos - 1} (id ${eos}, the last of vocabSize ${config.vocabSize}, is the end token)`,
      );
  }
  const micro = Math.max(1, Math.min(train.micro_batch, train.batch_size));
  const split = splitExamples(args.examples, train.val_fraction, seed);
  const trainStream = packExamples(split.train, eos);
  const valStream = split.val.length > 0 ? packExamples(split.val, eos) : trainStream;

  // Fixed evaluation windows, so successive validation losses are comparable.
  const evalRng = new Rng(`${seed}:eval`);
  const evalStarts = Array.from({ length: Math.max(1, train.eval_batches) }, () =>
    Array.from({ length: micro }, () => valStream.starts[evalRng.int(valStream.starts.length)]),
  );

  const params = initParameters(config, new Rng(`${seed}:init`));
  let start: OptimiserState = { params, m: zerosLike(params), v: zerosLike(params) };
  let state: TrainState = {
    step: 0,
    rng: new Rng(`${seed}:batches`).state(),
    bestStep: 0,
    bestValLoss: null,
    evalsSinceBest: 0,
    seed,
    dataHash: hashStream(trainStream.tokens, valStream.tokens),
    log: [],
  };
  const saved = await args.checkpoint?.load();
  if (saved) ({ tensors: start, state } = resumable(saved, config, state));
  const rng = Rng.fromState(state.rng);
  const dropout: Dropout | undefined =
    config.dropout > 0 ? { rate: config.dropout, nextSeed: () => rng.nextUint32() } : undefined;
  const loop = (loopKind === 'host' ? hostLoop : deviceLoop)({
    config,
    train,
    micro,
    trainStream,
    valStream,
    evalStarts,
    rng,
    dropout,
    start,
  });

  // Rows whose train loss is still on the device.
  const unread: LogRow[] = [];
  const readLosses = async (): Promise<void> => {
    const losses = await loop.losses();
    if (losses.length !== unread.length)
      throw new Error(`training loop returned ${losses.length} losses for ${unread.length} steps`);
    unread.splice(0).forEach((row, i) => (row.trainLoss = losses[i]));
  };

  let stoppedEarly = false;
  try {
    while (state.step < train.steps) {
      if (args.signal?.aborted) throw args.signal.reason ?? new Error('training aborted');
      const lr = learningRate(train, state.step);
      const loss = loop.step(lr, state.step + 1);
      state.step++;
      const row: LogRow = { step: state.step, trainLoss: loss ?? Number.NaN, valLoss: null, lr };
      if (loss === undefined) unread.push(row);
      state.log.push(row);
      const evaluating = (train.eval_every > 0 && state.step % train.eval_every === 0) || state.step === train.steps;
      const checkpointing =
        args.checkpoint &&
        train.checkpoint_every > 0 &&
        state.step % train.checkpoint_every === 0 &&
        state.step < train.steps;
      if (evaluating || checkpointing) await readLosses();
      if (evaluating) {
        row.valLoss = await loop.evaluate();
        if (state.bestValLoss === null || row.valLoss < state.bestValLoss) {
          state.bestValLoss = row.valLoss;
          state.bestStep = state.step;
          state.evalsSinceBest = 0;
          loop.keepBest();
        } else if (train.early_stop_patience > 0 && ++state.evalsSinceBest >= train.early_stop_patience) {
          stoppedEarly = true;
        }
      }
      const trainLoss = Number.isNaN(row.trainLoss) ? undefined : row.trainLoss;
      args.progress?.({ step: state.step, total: train.steps, trainLoss, valLoss: row.valLoss ?? undefined, lr });
      if (checkpointing) {
        state.rng = rng.state();
        // A copy of the state: the checkpointer may keep the object, and the state goes on changing.
        await args.checkpoint!.save({ config, state: structuredClone(state), tensors: await loop.state() });
      }
      if (stoppedEarly) break;
      await new Promise((resolve) => setImmediate(resolve)); // let abort signals and I/O through
    }
    await readLosses();
    const hasBest = state.bestValLoss !== null;
    return {
      weights: { config, params: await loop.result() },
      log: state.log,
      bestStep: hasBest ? state.bestStep : state.step,
      bestValLoss: state.bestValLoss ?? Number.NaN,
      stoppedEarly,
    };
  } finally {
    loop.dispose();
  }
}

function zerosLike(params: HostParams): HostParams {
  return new Map([...params].map(([name, values]) => [name, new Float32Array(values.length)]));
}

/** FNV-1a over the streams, each followed by a 0xff separator: a checkpoint resumes only on the data it was trained on. */
function hashStream(...streams: Int32Array[]): string {
  let h = fnv1a32([]); // the offset basis
  for (const s of streams) h = fnv1a32([0xff], fnv1a32(s, h));
  return h.toString(16);
}

/** The checkpoint, once it is known to be of this run: the same model, seed and training data. */
function resumable(saved: TrainingCheckpoint, config: GPTConfig, fresh: TrainState): TrainingCheckpoint {
  if (JSON.stringify(saved.config) !== JSON.stringify(config))
    throw new Error('checkpoint was written for a different model config');
  const { state } = saved;
  if (state.seed !== fresh.seed || state.dataHash !== fresh.dataHash)
    throw new Error('checkpoint was written for a different seed or training data');
  return saved;
}
