/** The train stage checks model.block_size against its data before it trains (issue 14, item 4). */
import test from 'ava';
import { stageContext } from './fixtures/stage-context.ts';
import { expressionTable, type ExpressionRow } from '../stages/dataset.ts';
import train, { checkBlockSize } from '../stages/run/train.ts';
import type { TrainParams } from '../stages/train.ts';
import { trainSettings } from './fixtures/train-settings.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';

const rows: ExpressionRow[] = [
  { expression: 'True', origin: 'real', generation: 0 },
  { expression: 'not ( True and False )', origin: 'fresh', generation: 1 }, // 6 tokens: needs a block of 7
  // Sampled rows are as long as sampling let them be; they are not the generator's and are not checked.
  { expression: 'True or True or True or True or True', origin: 'synthetic', generation: 1 },
];

test('block_size must hold the longest generated expression plus the end token', (t) => {
  const examples = rows.map((r) => logicTokenizer.encode(r.expression));
  t.notThrows(() => checkBlockSize(rows, examples, 7));
  t.throws(() => checkBlockSize(rows, examples, 6), {
    message:
      "model.block_size is 6, but the dataset's longest example (row 1) has 6 tokens: model.block_size must be at least 7 (the longest example plus the end token)",
  });
});

test('the train stage refuses a block too short for its data before it trains', async (t) => {
  let steps = 0;
  const params: TrainParams = {
    model: { layers: 1, heads: 1, width: 8, block_size: 4, dropout: 0 },
    train: trainSettings({ steps: 2, batch_size: 2, micro_batch: 2 }),
  };
  const ctx = stageContext(params, { dataset: expressionTable(rows) }, { progress: () => void steps++ });
  await t.throwsAsync(() => train.run(ctx), {
    message: /^model\.block_size is 4, .* has 6 tokens: model\.block_size must be at least 7/,
  });
  t.is(steps, 0, 'no training step ran');
});
