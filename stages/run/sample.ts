/** sample's run(): S_t from M_t (stages/sample.ts declares the stage). */
import { implementStage } from '../../engine/stage.ts';
import { sampleGPT } from '../../model/sample.ts';
import { taskOf } from '../../tasks/registry.ts';
import { useBackend } from '../backend.ts';
import { expressionTable } from '../dataset.ts';
import sample from '../sample.ts';
import { weightsFromTable } from '../weights-table.ts';

export default implementStage(sample, async (ctx) => {
  await useBackend(ctx);
  const { n, temperature, top_k, batch_size, generation } = ctx.params;
  const { tokenizer } = await taskOf(ctx.params);
  const samples = await sampleGPT({
    weights: weightsFromTable(ctx.inputs.weights, tokenizer.vocabulary),
    n,
    temperature,
    topK: top_k > 0 ? top_k : undefined,
    seed: ctx.seed,
    batchSize: batch_size,
    progress: (done, total) => ctx.progress(done, total, 'samples'),
  });
  const rows = samples.map((ids) => ({ expression: tokenizer.decode(ids), origin: 'synthetic' as const, generation }));
  return { samples: expressionTable(rows, { content: `S_${generation}` }) };
});
