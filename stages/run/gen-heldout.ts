/** gen-heldout's run(): H, n real rows of the node's task outside D_0 (stages/gen-heldout.ts says what it is for). */
import { implementStage } from '../../engine/stage.ts';
import { taskOf } from '../../tasks/registry.ts';
import { expressionTable, expressionsOf } from '../dataset.ts';
import genHeldout from '../gen-heldout.ts';

export default implementStage(genHeldout, async (ctx) => {
  const { n } = ctx.params;
  const task = await taskOf(ctx.params);
  const examples = task.realRows({
    n,
    seed: ctx.seed,
    exclude: new Set(expressionsOf(ctx.inputs.d0)),
    progress: (found) => ctx.progress(found, n, 'examples'),
  });
  ctx.progress(n, n);
  const rows = examples.map((expression) => ({ expression, origin: 'real' as const, generation: 0 }));
  return { dataset: expressionTable(rows, { content: 'held-out real rows' }) };
});
