/** curate's run(): S_t as its mode keeps it (stages/curate.ts declares the stage and its modes). */
import { implementStage } from '../../engine/stage.ts';
import curateStage, { curate } from '../curate.ts';
import { expressionRows, expressionTable } from '../dataset.ts';

export default implementStage(curateStage, async (ctx) => {
  const { mode, generation } = ctx.params;
  const rows = expressionRows(ctx.inputs.samples);
  const kept = curate(rows, ctx.params);
  if (kept.length === 0) {
    throw new Error(`curation '${mode}' kept 0 of the ${rows.length} samples of S_${generation}: there is nothing to build D_${generation + 1} from`);
  }
  ctx.metric('curation.kept', kept.length);
  ctx.metric('curation.dropped', rows.length - kept.length);
  return { samples: expressionTable(kept, { content: `S_${generation} curated (${mode})` }) };
});
