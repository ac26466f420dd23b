/** curate's run(): S_t as its mode keeps it (stages/curate.ts declares the stage and its modes). */
import { implementStage } from '../../engine/stage.ts';
import { judgeOf, taskOf } from '../../tasks/registry.ts';
import type { Judgement, Tokenizer } from '../../tasks/task.ts';
import curateStage, { JUDGED_MODES, type CurateParams } from '../curate.ts';
import { expressionRows, expressionTable, type ExpressionRow } from '../dataset.ts';

/** The rows of S_t the node's mode keeps, in order; the qd mode reads the samples with the task's tokenizer. */
export function curate(rows: readonly ExpressionRow[], params: CurateParams, tokenizer?: Tokenizer): ExpressionRow[] {
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
    case 'qd':
      if (params.niche_size === undefined || !tokenizer)
        throw new Error("the qd curation needs niche_size and the task's tokenizer");
      return keepElites(rows, params.niche_size, tokenizer, judgeOf(params));
  }
}

/**
 * The first occurrence of at most `nicheSize` distinct samples per niche (length in tokens × distinct tokens): the
 * ones the judge finds correct before the others, each group in order of first occurrence; in S_t's order.
 */
function keepElites(
  rows: readonly ExpressionRow[],
  nicheSize: number,
  tokenizer: Tokenizer,
  judge: ((line: string) => Judgement) | undefined,
): ExpressionRow[] {
  const niches = new Map<string, Array<{ at: number; correct: boolean }>>();
  const seen = new Set<string>();
  rows.forEach(({ expression }, at) => {
    if (seen.has(expression)) return;
    seen.add(expression);
    const tokens = tokenizer.encode(expression);
    const niche = `${tokens.length}:${new Set(tokens).size}`;
    const candidates = niches.get(niche) ?? [];
    candidates.push({ at, correct: judge?.(expression).semantic ?? false });
    niches.set(niche, candidates);
  });
  // A stable sort: within the correct ones and within the others, first occurrence first.
  const kept = new Set(
    [...niches.values()].flatMap((candidates) =>
      candidates
        .sort((a, b) => Number(b.correct) - Number(a.correct))
        .slice(0, nicheSize)
        .map((c) => c.at),
    ),
  );
  return rows.filter((_, at) => kept.has(at));
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
  const tokenizer = mode === 'qd' ? (await taskOf(ctx.params)).tokenizer : undefined;
  const kept = curate(rows, ctx.params, tokenizer);
  if (kept.length === 0) {
    throw new Error(
      `curation '${mode}' kept 0 of the ${rows.length} samples of S_${generation}: there is nothing to build D_${generation + 1} from`,
    );
  }
  ctx.metric('curation.kept', kept.length);
  ctx.metric('curation.dropped', rows.length - kept.length);
  return { samples: expressionTable(kept, { content: `S_${generation} curated (${mode})` }) };
});
