/**
 * gen-d0: the real data. D_0 is n unique Boolean expressions of depth d_min..d_max that evaluate to True,
 * drawn by the random tree builder (docs/EXPERIMENT.md §1).
 */
import { defineStage } from '../engine/stage.ts';
import { generateExpressions } from '../logic/generator.ts';

export type GenD0Params = { n: number; depth_min: number; depth_max: number };

export default defineStage<GenD0Params>({
  name: 'gen-d0',
  module: import.meta.url,
  inputs: [],
  outputs: ['dataset'],
  async run(ctx) {
    // Arrow is imported when the stage runs: `status` and `repro` import every stage to build the graph.
    const { expressionTable } = await import('./dataset.ts');
    const { n, depth_min, depth_max } = ctx.params;
    const expressions = generateExpressions({
      n,
      seed: ctx.seed,
      dMin: depth_min,
      dMax: depth_max,
      trueOnly: true,
      unique: true,
      progress: (found) => ctx.progress(found, n, 'expressions'),
    });
    ctx.progress(n, n);
    const rows = expressions.map((expression) => ({ expression, origin: 'real' as const, generation: 0 }));
    return { dataset: expressionTable(rows, { content: 'D_0' }) };
  },
});
