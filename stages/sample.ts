/**
 * sample: S_t is n examples sampled from M_t at the configured temperature, each from the start token until
 * the end token or the block size (docs/EXPERIMENT.md §3). Every sample is kept, whatever it is: correctness is
 * measured by eval, never filtered here, because the loop is self-consuming, not curated.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { TaskSlice } from '../tasks/registry.ts';
import type { KeyedRuntime } from './backend.ts';
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
export type SampleParams = SampleSection &
  Pick<DataSection, 'n'> & { generation: number } & Partial<KeyedRuntime> &
  TaskSlice;

export default defineStage<SampleParams>({
  name: 'sample',
  module: new URL('./run/sample.ts', import.meta.url).href,
  inputs: ['weights'],
  outputs: ['samples'],
});
