/**
 * The logic task: Boolean expressions (the paper's experiment, docs/EXPERIMENT.md §1). Real data are unique
 * expressions of depth depth_min..depth_max that evaluate to True, from the random tree builder; the tokens are the
 * language's 7 plus the end token; the judge is the parser and evaluator, so every curation mode is exact.
 */
import { z } from 'zod';
import { checkExpression } from '../../logic/check.ts';
import { countExpressions } from '../../logic/count.ts';
import { generateExpressions, MAX_GENERATED_DEPTH } from '../../logic/generator.ts';
import { tokenIds } from '../../logic/tokenize.ts';
import { TOKENS } from '../../logic/tokens.ts';
import type { LoadedTask, Task, Tokenizer } from '../task.ts';

const depth = z
  .number()
  .int()
  .min(1)
  .max(MAX_GENERATED_DEPTH, {
    error: (issue) =>
      `${String(issue.input)} is more than the generator's ${MAX_GENERATED_DEPTH} (a depth-d tree has up to 2^d - 1 nodes)`,
  });
const options = z
  // The defaults are the paper's: `--task logic` on the command line means its D_0.
  .strictObject({ depth_min: depth.default(1), depth_max: depth.default(5) })
  .superRefine(({ depth_min, depth_max }, ctx) => {
    if (depth_min > depth_max)
      ctx.addIssue({
        code: 'custom',
        path: ['depth_min'],
        message: `${depth_min} must not exceed task.depth_max (${depth_max})`,
      });
  });
export type LogicOptions = z.infer<typeof options>;

/** The language's tokens by their index (logic/tokens.ts) and the end token after them: id 7. */
export const logicTokenizer: Tokenizer = {
  vocabulary: [...TOKENS, '<eos>'],
  eos: TOKENS.length,
  encode: (text) => Array.from(tokenIds(text)),
  decode(ids) {
    const words: string[] = [];
    for (let i = 0; i < ids.length && ids[i] !== TOKENS.length; i++) {
      const token = TOKENS[ids[i]];
      if (token === undefined)
        throw new Error(`logic: token id ${ids[i]} is outside the vocabulary of ${TOKENS.length + 1}`);
      words.push(token);
    }
    return words.join(' ');
  },
};

/** Logic's eval metrics in the order reports list them (the paper's). */
export const EVAL_METRICS = [
  'samples.semantic',
  'samples.syntactic',
  'samples.diversity',
  'samples.unique',
  'samples.count',
  'samples.mean_length',
  'samples.mean_depth',
  'samples.copied',
  'data.semantic',
  'data.syntactic',
  'data.diversity',
  'data.unique',
  'data.count',
  'data.mean_length',
] as const;

/**
 * The columns of the eval table as they were before tasks: the stored metrics tables keep their bytes. Data sets
 * have no mean depth, nor a copied share.
 */
const EVAL_COLUMNS = [
  'samples.count',
  'samples.syntactic',
  'samples.semantic',
  'samples.diversity',
  'samples.unique',
  'samples.mean_length',
  'samples.mean_depth',
  'samples.copied',
  'data.count',
  'data.syntactic',
  'data.semantic',
  'data.diversity',
  'data.unique',
  'data.mean_length',
] as const;

/**
 * Logic with its options read. A node whose params carry no depth range (train, sample, curate, eval: the Boolean
 * slices predate tasks) loads it without one, and never draws rows.
 */
export function loadLogic(range?: LogicOptions): LoadedTask {
  return {
    tokenizer: logicTokenizer,
    realRows({ n, seed, exclude, progress }) {
      if (!range)
        throw new Error(
          "logic: this node's params carry no depth range (task.depth_min, task.depth_max), so it cannot draw real rows",
        );
      const found = (count: number) => progress?.(count, n);
      return generateExpressions({
        n,
        seed,
        dMin: range.depth_min,
        dMax: range.depth_max,
        trueOnly: true,
        unique: true,
        exclude,
        progress: found,
      });
    },
    summarize(lines) {
      let syntactic = 0;
      let semantic = 0;
      let depthSum = 0;
      for (const line of lines) {
        const verdict = checkExpression(line);
        if (verdict.syntactic) {
          syntactic++;
          depthSum += verdict.depth as number;
        }
        if (verdict.semantic) semantic++;
      }
      const share = (k: number) => (lines.length === 0 ? 0 : k / lines.length);
      // A set where nothing parses has no mean depth: NaN, which eval leaves out of the metrics.
      return {
        syntactic: share(syntactic),
        semantic: share(semantic),
        mean_depth: syntactic === 0 ? Number.NaN : depthSum / syntactic,
      };
    },
    metricNames: ['semantic', 'syntactic', 'mean_depth'],
    evalColumns: EVAL_COLUMNS,
  };
}

const logic: Task<LogicOptions> = {
  name: 'logic',
  headlineMetrics: ['semantic', 'syntactic'],
  options,
  load: loadLogic,
  // The whole verdict (tokens, depth, where it fails and why), which `score --lines` prints.
  judge: checkExpression,
  vocabularySize: () => logicTokenizer.vocabulary.length,
  supply: ({ depth_min, depth_max }) => ({
    count: countExpressions(depth_min, depth_max, true),
    noun: 'distinct True expressions',
    where: `at depth ${depth_min} to ${depth_max}`,
    remedy: 'raise task.depth_max',
  }),
};
export default logic;
