/**
 * sample: S_t is n examples sampled from M_t at the configured temperature, each from the start token until
 * the end token or the block size (docs/EXPERIMENT.md §3). Every sample is kept, whatever it is: correctness is
 * measured by eval, never filtered here, because the loop is self-consuming, not curated.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import { taskOf, type TaskSlice } from '../tasks/registry.ts';
import { useBackend, type KeyedRuntime } from './backend.ts';
import type { DataSection } from './gen-d0.ts';

/** params.yaml's `sample` section. */
export const sampleSection = z.strictObject({
  temperature: z.number().positive(),
  /** 0: the whole vocabulary. */
  top_k: z.number().int().min(0),
  /** Sequences decoded at once. */
  batch_size: z.number().int().positive(),
});
export type SampleSection = z.infer<typeof sampleSection>;

/** params.yaml's `sample` section, n = data.n, the generation it samples, and the backend when it is keyed on. */
export type SampleParams = SampleSection & Pick<DataSection, 'n'> & { generation: number } & Partial<KeyedRuntime> & TaskSlice;

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
