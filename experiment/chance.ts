/**
 * The chance rate of semantic correctness: the share of random expressions, drawn as D_0's are but not only the
 * True ones, that evaluate to True. A model that learnt the syntax and nothing of truth would score about this.
 * Measured by the generator each time a report is made (a fixed seed, so the same every time), never typed in.
 */
import { checkExpression } from '../logic/check.ts';
import { generateExpressions } from '../logic/generator.ts';

export interface Chance {
  /** Share of `sample` random expressions that are True. */
  rate: number;
  sample: number;
  depthMin: number;
  depthMax: number;
  seed: number;
}

// 20,000 expressions: a 95% interval of ±0.7 points around the rate, in under a second.
const SAMPLE = 20_000;
const SEED = 1;

export function chanceOfTrue(depthMin: number, depthMax: number): Chance {
  const expressions = generateExpressions({ n: SAMPLE, seed: SEED, dMin: depthMin, dMax: depthMax });
  const rate = expressions.filter((e) => checkExpression(e).semantic).length / SAMPLE;
  return { rate, sample: SAMPLE, depthMin, depthMax, seed: SEED };
}

/** The label of its line on a chart: short, since Vega sizes the layout by an estimate of text width. */
export const chanceLabel = (c: Chance): string => `chance ${(100 * c.rate).toFixed(1)}% (random expressions)`;

/** How the report states it under the chart, with what measured it. */
export function describeChance(c: Chance): string {
  return `Dashed: the chance rate, ${(100 * c.rate).toFixed(1)}% of ${c.sample.toLocaleString('en')} random expressions of depth ${c.depthMin}–${c.depthMax} (logic/generator.ts, seed ${c.seed}, measured as the report was made) are True.`;
}
