/** train's run(): M_t trained on D_t (stages/train.ts declares the stage). */
import { implementStage } from '../../engine/stage.ts';
import { gptConfig } from '../../model/config.ts';
import { trainGPT } from '../../model/train.ts';
import { taskOf } from '../../tasks/registry.ts';
import { useBackend } from '../backend.ts';
import { expressionRows, type ExpressionRow } from '../dataset.ts';
import train from '../train.ts';
import { logTable, tableCheckpointer, weightsToTable } from '../weights-table.ts';

/**
 * The block must hold the longest example plus the end token, or the model never sees that example whole and
 * where it ends: an error, not a truncation, since training on cut examples silently changes what the experiment
 * measures. Only the real rows (real, fresh) are checked: sampled rows are at most a block long because sampling
 * stops there, and they are kept as sampled (the loop is self-consuming, not curated). `examples` are the rows'
 * token ids.
 */
export function checkBlockSize(
  rows: readonly ExpressionRow[],
  examples: readonly (readonly number[])[],
  blockSize: number,
): void {
  let longest = 0;
  let row = -1;
  rows.forEach((r, i) => {
    if (r.origin === 'synthetic') return;
    if (examples[i].length > longest) [longest, row] = [examples[i].length, i];
  });
  if (longest > blockSize - 1) {
    throw new Error(
      `model.block_size is ${blockSize}, but the dataset's longest example (row ${row}) has ${longest} tokens: ` +
        `model.block_size must be at least ${longest + 1} (the longest example plus the end token)`,
    );
  }
}

export default implementStage(train, async (ctx) => {
  const { model, train: settings } = ctx.params;
  const { tokenizer } = await taskOf(ctx.params);
  const rows = expressionRows(ctx.inputs.dataset);
  const examples = rows.map((r) => tokenizer.encode(r.expression));
  checkBlockSize(rows, examples, model.block_size);
  await useBackend(ctx);
  const result = await trainGPT({
    model: gptConfig(model, tokenizer.vocabulary.length),
    train: settings,
    examples,
    seed: ctx.seed,
    checkpoint: tableCheckpointer(ctx.checkpoint),
    signal: ctx.signal,
    progress: (p) =>
      ctx.progress(
        p.step,
        p.total,
        `loss ${p.trainLoss?.toFixed(3) ?? '…'}${p.valLoss === undefined ? '' : ` val ${p.valLoss.toFixed(3)}`}`,
      ),
  });
  ctx.metric('best_val_loss', result.bestValLoss);
  ctx.metric('best_step', result.bestStep);
  ctx.metric('stopped_early', result.stoppedEarly ? 1 : 0);
  return { weights: weightsToTable(result.weights, tokenizer.vocabulary), log: logTable(result.log) };
});
