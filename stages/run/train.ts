/** train's run(): M_t trained on D_t (stages/train.ts declares the stage). */
import { implementStage } from '../../engine/stage.ts';
import { gptConfig } from '../../model/config.ts';
import { trainGPT } from '../../model/train.ts';
import { taskOf } from '../../tasks/registry.ts';
import { useBackend } from '../backend.ts';
import { expressionRows } from '../dataset.ts';
import train, { checkBlockSize } from '../train.ts';
import { logTable, tableCheckpointer, weightsToTable } from '../weights-table.ts';

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
      ctx.progress(p.step, p.total, `loss ${p.trainLoss?.toFixed(3) ?? '…'}${p.valLoss === undefined ? '' : ` val ${p.valLoss.toFixed(3)}`}`),
  });
  ctx.metric('best_val_loss', result.bestValLoss);
  ctx.metric('best_step', result.bestStep);
  ctx.metric('stopped_early', result.stoppedEarly ? 1 : 0);
  return { weights: weightsToTable(result.weights, tokenizer.vocabulary), log: logTable(result.log) };
});
