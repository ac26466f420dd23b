/**
 * curate: what of S_t the cycle may use to build D_{t+1}, for the questions the paper leaves open (docs/EXPERIMENT.md
 * §7). Boolean expressions have a perfect verifier, so every mode is exact:
 *
 * - none:      S_t as sampled, the paper's self-consuming loop (no curate node is built, so no key changes).
 * - verified:  only the samples that parse and evaluate to True.
 * - syntactic: only the samples that parse.
 * - unique:    the first occurrence of each distinct sample.
 * - capped:    diversity-preserving: at most `max_copies` occurrences of each distinct sample (the first ones), so a
 *              mode the model collapses onto cannot crowd out the rarer expressions, which all stay.
 *
 * Order is kept. Eval still measures the raw S_t (what the model produces); the kept and dropped counts become the
 * node's metrics. What a cycle does when the curated S_t is shorter than what it takes is build-dataset's rule.
 */
import { defineStage } from '../engine/stage.ts';
import { checkExpression } from '../logic/check.ts';
import type { ExpressionRow } from './dataset.ts';

export const CURATION_MODES = ['none', 'verified', 'syntactic', 'unique', 'capped'] as const;
export type CurationMode = (typeof CURATION_MODES)[number];

export type CurateParams = {
  mode: Exclude<CurationMode, 'none'>;
  /** Only the capped mode reads it, so only it carries it (and a sweep over it shares the other modes' nodes). */
  max_copies?: number;
  generation: number;
};

export function curate(rows: readonly ExpressionRow[], params: CurateParams): ExpressionRow[] {
  switch (params.mode) {
    case 'verified':
      return rows.filter((r) => checkExpression(r.expression).semantic);
    case 'syntactic':
      return rows.filter((r) => checkExpression(r.expression).syntactic);
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

export default defineStage<CurateParams>({
  name: 'curate',
  module: import.meta.url,
  inputs: ['samples'],
  outputs: ['samples'],
  async run(ctx) {
    // Arrow is imported when the stage runs: `status` and `repro` import every stage to build the graph.
    const { expressionRows, expressionTable } = await import('./dataset.ts');
    const { mode, generation } = ctx.params;
    const rows = expressionRows(ctx.inputs.samples);
    const kept = curate(rows, ctx.params);
    if (kept.length === 0) {
      throw new Error(`curation '${mode}' kept 0 of the ${rows.length} samples of S_${generation}: there is nothing to build D_${generation + 1} from`);
    }
    ctx.metric('curation.kept', kept.length);
    ctx.metric('curation.dropped', rows.length - kept.length);
    return { samples: expressionTable(kept, { content: `S_${generation} curated (${mode})` }) };
  },
});
