/** gen-d0's run(): D_0, n real rows of the node's task (the declaration, stages/gen-d0.ts, says what it is). */
import { implementStage } from '../../engine/stage.ts';
import { taskOf } from '../../tasks/registry.ts';
import { expressionTable } from '../dataset.ts';
import genD0 from '../gen-d0.ts';

export default implementStage(genD0, async (ctx) => {
  const { n, distinct = n } = ctx.params;
  const task = await taskOf(ctx.params);
  const examples = task.realRows({
    n: distinct,
    seed: ctx.seed,
    progress: (found) => ctx.progress(found, distinct, 'examples'),
  });
  ctx.progress(distinct, distinct);
  // The distinct rows in turn until there are n (stages/gen-d0.ts says why interleaved).
  const rows = Array.from({ length: n }, (_, i) => ({
    expression: examples[i % distinct],
    origin: 'real' as const,
    generation: 0,
  }));
  return { dataset: expressionTable(rows, { content: 'D_0' }) };
});
