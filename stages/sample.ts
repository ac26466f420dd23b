/**
 * sample: S_t is n examples sampled from M_t at the configured temperature, each from the start token until
 * the end token or the block size (docs/EXPERIMENT.md §3). Every sample is kept, whatever it is: correctness is
 * measured by eval, never filtered here, because the loop is self-consuming, not curated.
 */
import { defineStage } from '../engine/stage.ts';
import type { SampleSection } from '../experiment/params.ts';
import { taskOf, type TaskSlice } from '../tasks/registry.ts';
import { useBackend } from './backend.ts';

/** params.yaml's `sample` section, n = data.n, the generation it samples, and the backend when it is keyed on. */
export type SampleParams = SampleSection & { n: number; generation: number; backend?: string } & TaskSlice;

export default defineStage<SampleParams>({
  name: 'sample',
  module: import.meta.url,
  inputs: ['weights'],
  outputs: ['samples'],
  async run(ctx) {
    await useBackend(ctx);
    const { sampleGPT } = await import('../model/sample.ts');
    // Arrow is imported when the stage runs: `status` and `repro` import every stage to build the graph.
    const { expressionTable } = await import('./dataset.ts');
    const { weightsFromTable } = await import('./weights-table.ts');
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
  },
});
