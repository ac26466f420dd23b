/** The tables the model stages store: weights bit for bit with their config, and the training log's columns. */
import test from 'ava';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Rng } from '../common/rng.ts';
import type { GPTConfig } from '../model/config.ts';
import { initParameters } from '../model/gpt.ts';
import { logTable, weightsFromTable, weightsToTable } from '../stages/weights-table.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';

const TINY: GPTConfig = { vocabSize: 8, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0.1 };

test('weights round-trip through Arrow IPC bit for bit', (t) => {
  const params = initParameters(TINY, new Rng(3));
  const table = tableFromIPC(tableToIPC(weightsToTable({ config: TINY, params }, logicTokenizer.vocabulary)));
  const back = weightsFromTable(table, logicTokenizer.vocabulary);
  t.is(table.schema.metadata.get('gpt.vocabulary'), '["True","False","and","or","not","(",")","<eos>"]');
  t.throws(() => weightsFromTable(table, ['a', '<eos>']), {
    message: /weights were trained on vocabulary .*, this task's tokenizer has \["a","<eos>"\]/,
  });
  t.deepEqual(back.config, TINY);
  for (const [name, values] of params)
    t.deepEqual(new Uint32Array(back.params.get(name)!.buffer), new Uint32Array(values.buffer), name);
  t.deepEqual(
    table.schema.fields.map((f) => `${f.name}:${f.type}`),
    ['name:Utf8', 'shape:List<Int32>', 'values:List<Float32>'],
  );
  t.deepEqual([...table.schema.metadata.keys()], ['gpt.config', 'gpt.vocabulary']);
});

test('the log has one row per step, with null validation losses between evaluations', (t) => {
  const table = tableFromIPC(
    tableToIPC(
      logTable([
        { step: 1, trainLoss: 2.5, valLoss: null, lr: 0.001 },
        { step: 2, trainLoss: 2.25, valLoss: 2.4, lr: 0.002 },
      ]),
    ),
  );
  t.deepEqual(
    table.schema.fields.map((f) => `${f.name}:${f.type}`),
    ['step:Int32', 'train_loss:Float64', 'val_loss:Float64', 'lr:Float64'],
  );
  t.deepEqual(
    table.toArray().map((r) => r.toJSON()),
    [
      { step: 1, train_loss: 2.5, val_loss: null, lr: 0.001 },
      { step: 2, train_loss: 2.25, val_loss: 2.4, lr: 0.002 },
    ],
  );
});
