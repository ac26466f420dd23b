/** eval's run(): the metrics of generation t (stages/eval.ts declares the stage and says which). */
import { Table, makeVector } from 'apache-arrow';
import { implementStage } from '../../engine/stage.ts';
import { copiedShare, summarizeLines } from '../../metrics/summary.ts';
import { taskOf } from '../../tasks/registry.ts';
import { withMetadata } from '../arrow.ts';
import { expressionsOf } from '../dataset.ts';
import evaluate from '../eval.ts';

export default implementStage(evaluate, async (ctx) => {
  const { diversity_pairs, data_diversity_pairs, generation } = ctx.params;
  const task = await taskOf(ctx.params);
  const samples = expressionsOf(ctx.inputs.samples);
  const dataset = expressionsOf(ctx.inputs.dataset);
  // Diversity is the long part (minutes at a large n): its pairs are the progress, S_t's then D_t's.
  const figuresOf = (
    set: 'samples' | 'data',
    lines: string[],
    diversityPairs: number,
    note: string,
  ): Record<string, number> => {
    const s = summarizeLines(lines, task.tokenizer, {
      diversityPairs,
      seed: ctx.seed,
      progress: (done, total) => ctx.progress(done, total, note),
    });
    const own = task.summarize(lines);
    const figures: Record<string, number> = {
      count: s.count,
      diversity: s.diversity,
      unique: s.unique,
      mean_length: s.meanLength,
    };
    if (set === 'samples') figures.copied = copiedShare(samples, dataset);
    for (const name of task.metricNames) figures[name] = own[name];
    return Object.fromEntries(Object.entries(figures).map(([name, value]) => [`${set}.${name}`, value]));
  };
  const figures = {
    ...figuresOf('samples', samples, diversity_pairs, 'S_t pairs'),
    ...figuresOf('data', dataset, data_diversity_pairs, 'D_t pairs'),
  };
  const columns = task.evalColumns ?? Object.keys(figures);
  const missing = columns.filter((name) => !(name in figures));
  if (missing.length)
    throw new Error(
      `eval: the task's evalColumns name ${missing.join(', ')}, which it does not measure (it measures ${Object.keys(figures).join(', ')})`,
    );
  for (const name of columns) {
    // A figure a set does not have (a mean depth where nothing parses) is NaN: left out of the metrics rather than written as 0.
    if (Number.isFinite(figures[name])) ctx.metric(name, figures[name]);
  }
  const table = new Table({
    generation: makeVector(Int32Array.of(generation)),
    ...Object.fromEntries(columns.map((name) => [name, makeVector(Float64Array.of(figures[name]))])),
  });
  return { metrics: withMetadata(table, { content: `metrics of generation ${generation}` }) };
});
