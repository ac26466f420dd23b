/**
 * The GPT's shape (docs/EXPERIMENT.md §2); the `paper` shape is 6 layers, 6 heads, 384 dims, block 256. Training
 * settings have no type here: the model reads params.yaml's `train` section as it is (TrainSection).
 *
 * GPTConfig keeps nanoGPT's names rather than the `model` section's because its JSON is in the metadata of every
 * weights table: renaming a key would change the bytes of every stored model.
 */
import type { ModelSection } from '../experiment/params.ts';

export interface GPTConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
}

/**
 * The GPT of params.yaml's `model` section over a vocabulary of `vocabSize` ids (the task's tokenizer's, the end
 * token last): the one place the section's names become GPTConfig's.
 */
export function gptConfig(model: ModelSection, vocabSize: number): GPTConfig {
  return {
    vocabSize,
    blockSize: model.block_size,
    nLayer: model.layers,
    nHead: model.heads,
    nEmbd: model.width,
    dropout: model.dropout,
  };
}

export const PAPER_GPT: GPTConfig = { vocabSize: 8, blockSize: 256, nLayer: 6, nHead: 6, nEmbd: 384, dropout: 0.2 };

/** Name and shape of every parameter, in the fixed order used for initialisation, optimisation and storage. */
export function parameterShapes(c: GPTConfig): Array<[string, number[]]> {
  const C = c.nEmbd;
  const shapes: Array<[string, number[]]> = [
    ['wte', [c.vocabSize, C]],
    ['wpe', [c.blockSize, C]],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    shapes.push(
      [`${p}ln_1.weight`, [C]], [`${p}ln_1.bias`, [C]],
      [`${p}attn.c_attn.weight`, [C, 3 * C]], [`${p}attn.c_attn.bias`, [3 * C]],
      [`${p}attn.c_proj.weight`, [C, C]], [`${p}attn.c_proj.bias`, [C]],
      [`${p}ln_2.weight`, [C]], [`${p}ln_2.bias`, [C]],
      [`${p}mlp.c_fc.weight`, [C, 4 * C]], [`${p}mlp.c_fc.bias`, [4 * C]],
      [`${p}mlp.c_proj.weight`, [4 * C, C]], [`${p}mlp.c_proj.bias`, [C]],
    );
  }
  shapes.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  return shapes;
}

/**
 * Total number of parameters (the head is tied to wte, so it adds none). nanoGPT reports the count without the
 * position embeddings: subtract blockSize·nEmbd for that figure (10.65M for the paper shape).
 */
export function countParameters(c: GPTConfig): number {
  return parameterShapes(c).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

export function validateGPTConfig(c: GPTConfig): void {
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0) throw new Error(`GPTConfig.${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new Error(`GPTConfig.nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`GPTConfig.dropout must be in [0, 1), got ${c.dropout}`);
}
