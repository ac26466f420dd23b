import test from 'ava';
import type { CurateParams } from '../stages/curate.ts';
import curateStage, { curate } from '../stages/run/curate.ts';
import { expressionRows, expressionTable, type ExpressionRow } from '../stages/dataset.ts';
import type { StageContext } from '../engine/stage.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';
import { registerTask } from '../tasks/registry.ts';
import type { LoadedTask, Tokenizer } from '../tasks/task.ts';
import { stageContext } from './fixtures/stage-context.ts';
import { abTask } from './fixtures/tasks/ab.ts';

// A hand-made S_3: duplicates of a True and a False expression, one syntax error, one unbalanced parenthesis.
const texts = [
  'True',
  'not True',
  'True',
  '( False or True )',
  'True and',
  'True',
  'not True',
  '( True',
  'False or False',
];
const samples: ExpressionRow[] = texts.map((expression) => ({ expression, origin: 'synthetic', generation: 3 }));
const kept = (params: CurateParams) => curate(samples, params).map((r) => r.expression);

test('verified keeps exactly the samples that parse and are True, in order, duplicates included', (t) => {
  t.deepEqual(kept({ mode: 'verified', generation: 3 }), ['True', 'True', '( False or True )', 'True']);
});

test('syntactic keeps exactly the samples that parse, True or False', (t) => {
  t.deepEqual(kept({ mode: 'syntactic', generation: 3 }), [
    'True',
    'not True',
    'True',
    '( False or True )',
    'True',
    'not True',
    'False or False',
  ]);
});

test('unique keeps the first occurrence of each distinct sample, broken ones included', (t) => {
  t.deepEqual(kept({ mode: 'unique', generation: 3 }), [
    'True',
    'not True',
    '( False or True )',
    'True and',
    '( True',
    'False or False',
  ]);
});

test('capped keeps at most max_copies of each distinct sample and every rarer one', (t) => {
  t.deepEqual(kept({ mode: 'capped', max_copies: 2, generation: 3 }), [
    'True',
    'not True',
    'True',
    '( False or True )',
    'True and',
    'not True',
    '( True',
    'False or False',
  ]);
  t.deepEqual(kept({ mode: 'capped', max_copies: 1, generation: 3 }), kept({ mode: 'unique', generation: 3 }));
  t.throws(() => kept({ mode: 'capped', generation: 3 }), { message: /capped curation needs max_copies/ });
});

function contextFor(
  rows: ExpressionRow[],
  params: CurateParams,
  metrics: Record<string, number | string>,
): StageContext<CurateParams> {
  return stageContext(
    params,
    { samples: expressionTable(rows) },
    {
      metric: (name, value) => {
        metrics[name] = value;
      },
    },
  );
}

test('the stage writes the kept rows with their origin and generation, and counts kept and dropped', async (t) => {
  const metrics: Record<string, number | string> = {};
  const out = await curateStage.run(contextFor(samples, { mode: 'verified', generation: 3 }, metrics));
  t.deepEqual(
    expressionRows(out.samples!),
    samples.filter((r) => ['True', '( False or True )'].includes(r.expression)),
  );
  t.deepEqual(metrics, { 'curation.kept': 4, 'curation.dropped': 5 });
});

test('a curation that keeps nothing is an error naming the mode and the generation, not an empty dataset', async (t) => {
  const broken = samples.filter((r) => r.expression.endsWith('and') || r.expression === '( True');
  await t.throwsAsync(curateStage.run(contextFor(broken, { mode: 'syntactic', generation: 3 }, {})), {
    message: "curation 'syntactic' kept 0 of the 2 samples of S_3: there is nothing to build D_4 from",
  });
});

// qd: a hand-made S_4 of logic expressions, in four niches (tokens, distinct tokens); ✓ = True.
const qdTexts = [
  'True', //            (1, 1) ✓
  'False', //           (1, 1)
  'not True', //        (2, 2)
  'True', //            a duplicate
  'not False', //       (2, 2) ✓
  'True or False', //   (3, 3) ✓
  'False and True', //  (3, 3)
  'False or False', //  (3, 2)
  'True and True', //   (3, 2) ✓
  'not not True', //    (3, 2) ✓
  'not True', //        a duplicate
  'True and', //        (2, 2), does not parse
  'False or True', //   (3, 3) ✓
];
const qdSamples: ExpressionRow[] = qdTexts.map((expression) => ({ expression, origin: 'synthetic', generation: 4 }));
const qd = (rows: ExpressionRow[], niche_size: number, slice: Partial<CurateParams>, tokenizer: Tokenizer) =>
  curate(rows, { mode: 'qd', niche_size, generation: 4, ...slice }, tokenizer).map((r) => r.expression);

test('qd niches are (length in tokens, distinct tokens) by the task tokenizer', (t) => {
  const descriptor = (line: string) => {
    const tokens = logicTokenizer.encode(line);
    return [tokens.length, new Set(tokens).size];
  };
  t.deepEqual(['True', 'not False', 'True and', 'True or False', 'False or False', 'not not True'].map(descriptor), [
    [1, 1],
    [2, 2],
    [2, 2],
    [3, 3],
    [3, 2],
    [3, 2],
  ]);
});

test('qd keeps at most niche_size distinct samples per niche, verified ones first, in S_t order, never a duplicate', (t) => {
  t.deepEqual(qd(qdSamples, 1, {}, logicTokenizer), ['True', 'not False', 'True or False', 'True and True']);
  t.deepEqual(qd(qdSamples, 2, {}, logicTokenizer), [
    'True',
    'False',
    'not True',
    'not False',
    'True or False',
    'True and True',
    'not not True',
    'False or True',
  ]);
  const kept = qd(qdSamples, 100, {}, logicTokenizer);
  t.deepEqual(kept, [...new Set(qdTexts)], 'a niche larger than S_t keeps every distinct sample once');
  t.throws(() => curate(qdSamples, { mode: 'qd', generation: 4 }, logicTokenizer), { message: /qd curation needs/ });
  t.throws(() => curate(qdSamples, { mode: 'qd', niche_size: 1, generation: 4 }), { message: /qd curation needs/ });
});

// The ab task (test/fixtures/tasks/ab.ts), whose judge finds a word correct when it starts with a, and the same
// task without a judge.
registerTask(abTask);
registerTask({ ...abTask, name: 'ab-unjudged', judge: undefined });
const abRows = ['b a', 'a b', 'b a', 'b b', 'a a', 'a b a', 'b a b'].map(
  (expression): ExpressionRow => ({ expression, origin: 'synthetic', generation: 4 }),
);
const abSlice = (name: string) => ({ task: { name, options: { length: 3 } } });

test('qd with a task without a judge keeps the first occurrences of each niche; with its judge, the correct ones', async (t) => {
  const { tokenizer } = abTask.load({ length: 3 }) as LoadedTask;
  t.deepEqual(qd(abRows, 1, abSlice('ab-unjudged'), tokenizer), ['b a', 'b b', 'a b a']);
  t.deepEqual(qd(abRows, 1, abSlice('ab'), tokenizer), ['a b', 'a a', 'a b a']);
  // The stage loads the task's tokenizer itself.
  const metrics: Record<string, number | string> = {};
  const out = await curateStage.run(
    contextFor(abRows, { mode: 'qd', niche_size: 1, generation: 4, ...abSlice('ab-unjudged') }, metrics),
  );
  t.deepEqual(
    expressionRows(out.samples!).map((r) => r.expression),
    ['b a', 'b b', 'a b a'],
  );
  t.deepEqual(metrics, { 'curation.kept': 3, 'curation.dropped': 4 });
});
