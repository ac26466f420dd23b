/** build-dataset's run(): D_{t+1} by the node's cycle (stages/build-dataset.ts declares the stage and its cycles). */
import { Rng } from '../../common/rng.ts';
import { implementStage } from '../../engine/stage.ts';
import { taskOf } from '../../tasks/registry.ts';
import buildDataset, { nextDataset } from '../build-dataset.ts';
import { expressionRows, expressionTable } from '../dataset.ts';

export default implementStage(buildDataset, async (ctx) => {
  const rows = nextDataset(
    ctx.params,
    {
      d0: expressionRows(ctx.inputs.d0),
      current: expressionRows(ctx.inputs.dataset),
      samples: expressionRows(ctx.inputs.samples),
      task: await taskOf(ctx.params),
      heldout: new Set(ctx.inputs.heldout ? expressionRows(ctx.inputs.heldout).map((r) => r.expression) : []),
    },
    new Rng(ctx.seed),
  );
  for (const origin of ['real', 'fresh', 'synthetic'] as const) {
    ctx.metric(`origin.${origin}`, rows.filter((r) => r.origin === origin).length);
  }
  return { dataset: expressionTable(rows, { content: `D_${ctx.params.generation}`, cycle: ctx.params.cycle }) };
});
