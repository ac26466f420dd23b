/** curate's run(): S_t as its mode keeps it (stages/curate.ts declares the stage and its modes). */
import { implementStage } from '../../engine/stage.ts';
import { judgeOf } from '../../tasks/registry.ts';
import curateStage, { JUDGED_MODES, type CurateParams } from '../curate.ts';
import { expressionRows, expressionTable, type ExpressionRow } from '../dataset.ts';

/** The rows of S_t the node's mode keeps, in order. */
export function curate(rows: readonly ExpressionRow[], params: CurateParams): ExpressionRow[] {
  switch (params.mode) {
    case 'verified':
    case 'syntactic': {
      const judge = judgeOf(params);
      const kept = JUDGED_MODES[params.mode]!;
      if (!judge)
        throw new Error(`curation '${params.mode}' needs the task's judge, and task '${params.task?.name}' has none`);
      return rows.filter((r) => judge(r.expression)[kept]);
    }
    case 'unique':
      return keepCopies(rows, 1);
    case 'capped':
      if (params.max_copies === undefined) throw new Error('the capped curation needs max_copies');
      return keepCopies(rows, params.max_copies);
  }
}

function keepCopies(rows: readonly ExpressionRow[], limit: number): ExpressionRow[] {
  const seen = new Map<string, number>();
  return rows.filter((r) => {
    const copies = (seen.get(r.expression) ?? 0) + 1;
    seen.set(r.expression, copies);
    return copies <= limit;
  });
}

export default implementStage(curateStage, async (ctx) => {
  const { mode, generation } = ctx.params;
  const rows = expressionRows(ctx.inputs.samples);
  const kept = curate(rows, ctx.params);
  if (kept.length === 0) {
    throw new Error(
      `curation '${mode}' kept 0 of the ${rows.length} samples of S_${generation}: there is nothing to build D_${generation + 1} from`,
    );
  }
  ctx.metric('curation.kept', kept.length);
  ctx.metric('curation.dropped', rows.length - kept.length);
  return { samples: expressionTable(kept, { content: `S_${generation} curated (${mode})` }) };
});
