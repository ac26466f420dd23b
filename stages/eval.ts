/**
 * eval: the measures of docs/EXPERIMENT.md §5 for generation t, on the samples S_t and on the training set D_t: the
 * task-independent ones (count, Levenshtein diversity — exact over all pairs, or a seeded estimate over
 * `diversity_pairs` pairs for S_t and `data_diversity_pairs` for D_t, which the expanding cycle grows by n rows a
 * generation —, unique count, mean length, and the share of S_t copied verbatim from D_t) and the task's own (for
 * logic: syntactic and semantic correctness, mean depth). One row per generation, a column per metric in the
 * task's evalColumns order (or S_t's then D_t's, each the task-independent figures then the task's); the same
 * figures become the node's metrics in pipeline.lock.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import { copiedShare, summarizeLines } from '../metrics/summary.ts';
import { taskOf, type TaskSlice } from '../tasks/registry.ts';

/** Logic's eval metrics in the order reports list them (the paper's). */
export const EVAL_METRICS = [
  'samples.semantic', 'samples.syntactic', 'samples.diversity', 'samples.unique', 'samples.count',
  'samples.mean_length', 'samples.mean_depth', 'samples.copied',
  'data.semantic', 'data.syntactic', 'data.diversity', 'data.unique', 'data.count', 'data.mean_length',
] as const;

/** params.yaml's `eval` section. */
export const evalSection = z.strictObject({
  /** Levenshtein diversity of S_t: 0 = exact over all pairs; otherwise a seeded estimate over this many pairs. */
  diversity_pairs: z.number().int().min(0),
  /** The same for D_t, which the expanding cycle grows by n rows a generation. */
  data_diversity_pairs: z.number().int().min(0),
});
export type EvalSection = z.infer<typeof evalSection>;

export type EvalParams = EvalSection & { generation: number } & TaskSlice;

export default defineStage<EvalParams>({
  name: 'eval',
  module: import.meta.url,
  inputs: ['samples', 'dataset'],
  outputs: ['metrics'],
  async run(ctx) {
    // Arrow is imported when the stage runs: `status` and `repro` import every stage to build the graph.
    const [{ Table, makeVector }, { withMetadata }, { expressionsOf }] = await Promise.all([import('apache-arrow'), import('./arrow.ts'), import('./dataset.ts')]);
    const { diversity_pairs, data_diversity_pairs, generation } = ctx.params;
    const task = await taskOf(ctx.params);
    const samples = expressionsOf(ctx.inputs.samples);
    const dataset = expressionsOf(ctx.inputs.dataset);
    // Diversity is the long part (minutes at a large n): its pairs are the progress, S_t's then D_t's.
    const figuresOf = (set: 'samples' | 'data', lines: string[], diversityPairs: number, note: string): Record<string, number> => {
      const s = summarizeLines(lines, task.tokenizer, { diversityPairs, seed: ctx.seed, progress: (done, total) => ctx.progress(done, total, note) });
      const own = task.summarize(lines);
      const figures: Record<string, number> = { count: s.count, diversity: s.diversity, unique: s.unique, mean_length: s.meanLength };
      if (set === 'samples') figures.copied = copiedShare(samples, dataset);
      for (const name of task.metricNames) figures[name] = own[name];
      return Object.fromEntries(Object.entries(figures).map(([name, value]) => [`${set}.${name}`, value]));
    };
    const figures = { ...figuresOf('samples', samples, diversity_pairs, 'S_t pairs'), ...figuresOf('data', dataset, data_diversity_pairs, 'D_t pairs') };
    const columns = task.evalColumns ?? Object.keys(figures);
    const missing = columns.filter((name) => !(name in figures));
    if (missing.length) throw new Error(`eval: the task's evalColumns name ${missing.join(', ')}, which it does not measure (it measures ${Object.keys(figures).join(', ')})`);
    for (const name of columns) {
      // A figure a set does not have (a mean depth where nothing parses) is NaN: left out of the metrics rather than written as 0.
      if (Number.isFinite(figures[name])) ctx.metric(name, figures[name]);
    }
    const table = new Table({
      generation: makeVector(Int32Array.of(generation)),
      ...Object.fromEntries(columns.map((name) => [name, makeVector(Float64Array.of(figures[name]))])),
    });
    return { metrics: withMetadata(table, { content: `metrics of generation ${generation}` }) };
  },
});
