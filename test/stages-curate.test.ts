import test from 'ava';
import type { CurateParams } from '../stages/curate.ts';
import curateStage, { curate } from '../stages/run/curate.ts';
import { expressionRows, expressionTable, type ExpressionRow } from '../stages/dataset.ts';
import type { StageContext } from '../engine/stage.ts';
import { stageContext } from './fixtures/stage-context.ts';

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
