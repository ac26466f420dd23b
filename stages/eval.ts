/**
 * eval: the measures of docs/EXPERIMENT.md §5 for generation t, on the samples S_t and on the training set D_t:
 * syntactic and semantic correctness, Levenshtein diversity (exact over all pairs, or a seeded estimate over
 * `diversity_pairs` pairs for S_t and `data_diversity_pairs` for D_t, which the expanding cycle grows by n rows a
 * generation), unique count, mean length and depth, and the share of S_t copied verbatim from D_t.
 * One row per generation; the same figures become the node's metrics in pipeline.lock.
 */
import { defineStage } from '../engine/stage.ts';
import { copiedShare, summarizeExpressions } from '../metrics/summary.ts';

/** The eval metrics, in the order reports list them. */
export const EVAL_METRICS = [
  'samples.semantic', 'samples.syntactic', 'samples.diversity', 'samples.unique', 'samples.count',
  'samples.mean_length', 'samples.mean_depth', 'samples.copied',
  'data.semantic', 'data.syntactic', 'data.diversity', 'data.unique', 'data.count', 'data.mean_length',
] as const;

export type EvalParams = { diversity_pairs: number; data_diversity_pairs: number; generation: number };

export default defineStage<EvalParams>({
  name: 'eval',
  module: import.meta.url,
  inputs: ['samples', 'dataset'],
  outputs: ['metrics'],
  async run(ctx) {
    // Arrow is imported when the stage runs: `status` and `repro` import every stage to build the graph.
    const [{ Table, makeVector }, { withMetadata }, { expressionsOf }] = await Promise.all([import('apache-arrow'), import('./arrow.ts'), import('./dataset.ts')]);
    const { diversity_pairs, data_diversity_pairs, generation } = ctx.params;
    const samples = expressionsOf(ctx.inputs.samples);
    const dataset = expressionsOf(ctx.inputs.dataset);
    // Diversity is the long part (minutes at a large n): its pairs are the progress, S_t's then D_t's.
    const s = summarizeExpressions(samples, { diversityPairs: diversity_pairs, seed: ctx.seed, progress: (done, total) => ctx.progress(done, total, 'S_t pairs') });
    const d = summarizeExpressions(dataset, { diversityPairs: data_diversity_pairs, seed: ctx.seed, progress: (done, total) => ctx.progress(done, total, 'D_t pairs') });
    const figures: Record<(typeof EVAL_METRICS)[number], number> = {
      'samples.count': s.count,
      'samples.syntactic': s.syntactic,
      'samples.semantic': s.semantic,
      'samples.diversity': s.diversity,
      'samples.unique': s.unique,
      'samples.mean_length': s.meanLength,
      'samples.mean_depth': s.meanDepth ?? Number.NaN,
      'samples.copied': copiedShare(samples, dataset),
      'data.count': d.count,
      'data.syntactic': d.syntactic,
      'data.semantic': d.semantic,
      'data.diversity': d.diversity,
      'data.unique': d.unique,
      'data.mean_length': d.meanLength,
    };
    for (const [name, value] of Object.entries(figures)) {
      // A set with no parsable expression has no mean depth: left out of the metrics rather than written as 0.
      if (Number.isFinite(value)) ctx.metric(name, value);
    }
    const columns = new Table({
      generation: makeVector(Int32Array.of(generation)),
      ...Object.fromEntries(
        Object.entries(figures).map(([name, value]) => [name, makeVector(Float64Array.of(value))]),
      ),
    });
    return { metrics: withMetadata(columns, { content: `metrics of generation ${generation}` }) };
  },
});
