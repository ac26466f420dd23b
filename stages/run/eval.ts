/** eval's run(): the metrics of generation t (stages/eval.ts declares the stage and says which). */
import { Table, makeVector } from 'apache-arrow';
import { implementStage, type StageContext } from '../../engine/stage.ts';
import { copiedShare, summarizeLines } from '../../metrics/summary.ts';
import { negativeLogLikelihood, perplexity } from '../../model/perplexity.ts';
import { taskOf } from '../../tasks/registry.ts';
import type { LoadedTask } from '../../tasks/task.ts';
import { withMetadata } from '../arrow.ts';
import { useBackend } from '../backend.ts';
import { expressionsOf } from '../dataset.ts';
import evaluate, { type EvalParams } from '../eval.ts';
import { weightsFromTable } from '../weights-table.ts';

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
  const columns = [...(task.evalColumns ?? Object.keys(figures))];
  const missing = columns.filter((name) => !(name in figures));
  if (missing.length)
    throw new Error(
      `eval: the task's evalColumns name ${missing.join(', ')}, which it does not measure (it measures ${Object.keys(figures).join(', ')})`,
    );
  // After the task's columns, whatever their order: logic's evalColumns keep the bytes of tables older than these.
  const perplexities = await perplexityFigures(ctx, task, samples, dataset);
  Object.assign(figures, perplexities);
  columns.push(...Object.keys(perplexities));
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

/**
 * The perplexities, where the graph connected M_t, M_0 and the held-out rows (eval.perplexity): of the held-out rows
 * D_t does not hold under M_t (a row the model trained on is not held out; D_t holds one only where a sample
 * reproduced it), with how many there are, and of S_t under M_0.
 */
async function perplexityFigures(
  ctx: StageContext<EvalParams>,
  task: LoadedTask,
  samples: readonly string[],
  dataset: readonly string[],
): Promise<Record<string, number>> {
  const { weights, weights_m0, heldout } = ctx.inputs;
  if (!weights || !weights_m0 || !heldout) return {};
  await useBackend(ctx);
  const { tokenizer } = task;
  const perplexityOf = async (table: Table, lines: readonly string[], note: string) =>
    perplexity(
      await negativeLogLikelihood(
        weightsFromTable(table, tokenizer.vocabulary),
        // The empty sample (EOS first) has no tokens, whether or not the tokenizer accepts ''.
        lines.map((line) => (line === '' ? [] : tokenizer.encode(line))),
        tokenizer.eos,
        (done, total) => ctx.progress(done, total, note),
      ),
    );
  const trained = new Set(dataset);
  const held = expressionsOf(heldout).filter((line) => !trained.has(line));
  return {
    'heldout.perplexity': await perplexityOf(weights, held, 'held-out rows'),
    'heldout.rows': held.length,
    'samples.perplexity_m0': await perplexityOf(weights_m0, samples, 'S_t under M_0'),
  };
}
