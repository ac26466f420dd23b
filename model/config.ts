/**
 * The GPT's shape (docs/EXPERIMENT.md §2; the `paper` shape is 6 layers, 6 heads, 384 dims, block 256) and its
 * training settings: params.yaml's `model` and `train` sections are declared here, where they are read, and
 * experiment/params.ts composes them.
 *
 * GPTConfig keeps nanoGPT's names rather than the `model` section's because its JSON is in the metadata of every
 * weights table: renaming a key would change the bytes of every stored model. gptConfig is the one conversion, and
 * shapeProblems the one set of rules, which names the keys of whichever side it checks.
 */
import { z } from 'zod';

export interface GPTConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
}

type Shape = Omit<GPTConfig, 'vocabSize'>;

/** params.yaml's `model` key of each GPTConfig key but the vocabulary's size, which the task's tokenizer gives. */
const SECTION_KEYS = {
  blockSize: 'block_size',
  nLayer: 'layers',
  nHead: 'heads',
  nEmbd: 'width',
  dropout: 'dropout',
} as const satisfies Record<keyof Shape, string>;

/** The GPT's rules, once, each problem naming its keys through `name`. */
function shapeProblems(c: Shape, name: (key: keyof Shape) => string): string[] {
  const problems: string[] = [];
  for (const key of ['blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0)
      problems.push(`${name(key)} must be a positive integer, got ${c[key]}`);
  }
  if (c.nEmbd % c.nHead !== 0)
    problems.push(`${name('nEmbd')} (${c.nEmbd}) must be divisible by ${name('nHead')} (${c.nHead})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`${name('dropout')} must be in [0, 1), got ${c.dropout}`);
  return problems;
}

/** params.yaml's `model` section: the GPT's shape. Its rules are modelProblems (the same as GPTConfig's). */
export const modelSection = z.strictObject({
  layers: z.number(),
  heads: z.number(),
  width: z.number(),
  /** At least 8: the shortest example and its end token, with room to spare. */
  block_size: z.number().int().min(8),
  dropout: z.number(),
});
export type ModelSection = z.infer<typeof modelSection>;

/**
 * The `model` section's problems, by the GPT's rules. Checked on every sweep point (experiment/params.ts), not on
 * the file's base values, which a sweep may override.
 */
export function modelProblems(model: ModelSection): string[] {
  return shapeProblems(gptShape(model), (key) => `model.${SECTION_KEYS[key]}`);
}

const positiveInt = z.number().int().positive();

/** params.yaml's `train` section: what trainGPT (model/train.ts) reads, as it is. */
export const trainSection = z.strictObject({
  steps: positiveInt,
  batch_size: positiveInt,
  micro_batch: positiveInt,
  learning_rate: z.number().positive(),
  min_learning_rate: z.number().min(0),
  warmup_steps: z.number().int().min(0),
  weight_decay: z.number().min(0),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  grad_clip: z.number().min(0),
  eval_every: positiveInt,
  eval_batches: positiveInt,
  early_stop_patience: z.number().int().min(0),
  val_fraction: z.number().gt(0).lt(1),
  checkpoint_every: positiveInt,
});
export type TrainSection = z.infer<typeof trainSection>;

/** The rules across the `train` section's keys, checked on every sweep point like modelProblems. */
export function trainProblems(train: TrainSection): string[] {
  const problems: string[] = [];
  if (train.batch_size % train.micro_batch !== 0) {
    problems.push(
      `train.batch_size (${train.batch_size}) must be a multiple of train.micro_batch (${train.micro_batch})`,
    );
  }
  if (train.min_learning_rate > train.learning_rate)
    problems.push('train.min_learning_rate must not exceed train.learning_rate');
  return problems;
}

/** The `model` section's shape in GPTConfig's names and key order (the order of its JSON in every weights table). */
function gptShape(model: ModelSection): Shape {
  return {
    blockSize: model.block_size,
    nLayer: model.layers,
    nHead: model.heads,
    nEmbd: model.width,
    dropout: model.dropout,
  };
}

/** The GPT of params.yaml's `model` section over a vocabulary of `vocabSize` ids (the task's tokenizer's, the end token last). */
export function gptConfig(model: ModelSection, vocabSize: number): GPTConfig {
  return { vocabSize, ...gptShape(model) };
}

export const PAPER_GPT: GPTConfig = { vocabSize: 8, blockSize: 256, nLayer: 6, nHead: 6, nEmbd: 384, dropout: 0.2 };

/** How a parameter starts: nanoGPT's N(0, std) for weights, zero biases, unit LayerNorm gains. */
export type Init = { normal: number } | 'zeros' | 'ones';

export interface ParameterSpec {
  name: string;
  shape: number[];
  init: Init;
  /** Whether AdamW's weight decay applies (nanoGPT: the 2-D weights, embeddings included). */
  decay: boolean;
}

/**
 * Every parameter with its shape, initialisation and weight decay, in the fixed order used for initialisation
 * (the order of the random draws), optimisation and storage.
 */
export function parameterSpecs(c: GPTConfig): ParameterSpec[] {
  const C = c.nEmbd;
  const weight = (name: string, shape: number[], std = 0.02): ParameterSpec => ({
    name,
    shape,
    init: { normal: std },
    decay: true,
  });
  const bias = (name: string, size: number): ParameterSpec => ({ name, shape: [size], init: 'zeros', decay: false });
  const layerNorm = (name: string): ParameterSpec[] => [
    { name: `${name}.weight`, shape: [C], init: 'ones', decay: false },
    bias(`${name}.bias`, C),
  ];
  // Residual projections start smaller, so that the residual stream's variance does not grow with depth.
  const residualStd = 0.02 / Math.sqrt(2 * c.nLayer);
  const specs = [weight('wte', [c.vocabSize, C]), weight('wpe', [c.blockSize, C])];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    specs.push(
      ...layerNorm(`${p}ln_1`),
      weight(`${p}attn.c_attn.weight`, [C, 3 * C]),
      bias(`${p}attn.c_attn.bias`, 3 * C),
      weight(`${p}attn.c_proj.weight`, [C, C], residualStd),
      bias(`${p}attn.c_proj.bias`, C),
      ...layerNorm(`${p}ln_2`),
      weight(`${p}mlp.c_fc.weight`, [C, 4 * C]),
      bias(`${p}mlp.c_fc.bias`, 4 * C),
      weight(`${p}mlp.c_proj.weight`, [4 * C, C], residualStd),
      bias(`${p}mlp.c_proj.bias`, C),
    );
  }
  specs.push(...layerNorm('ln_f'));
  return specs;
}

/**
 * Total number of parameters (the head is tied to wte, so it adds none). nanoGPT reports the count without the
 * position embeddings: subtract blockSize·nEmbd for that figure (10.65M for the paper shape).
 */
export function countParameters(c: GPTConfig): number {
  return parameterSpecs(c).reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

/** A GPTConfig from elsewhere (a stored weights table, a caller of trainGPT) by the same rules as the `model` section. */
export function validateGPTConfig(c: GPTConfig): void {
  const problems = shapeProblems(c, (key) => `GPTConfig.${key}`);
  // A vocabulary holds at least one symbol and the end token.
  if (!Number.isInteger(c.vocabSize) || c.vocabSize < 2)
    problems.unshift(`GPTConfig.vocabSize must be an integer of at least 2, got ${c.vocabSize}`);
  if (problems.length) throw new Error(problems.join('; '));
}
