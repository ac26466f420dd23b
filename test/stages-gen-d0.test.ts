import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseParams } from '../experiment/params.ts';
import { expressionRows } from '../stages/dataset.ts';
import genD0 from '../stages/run/gen-d0.ts';
import type { GenD0Params } from '../stages/gen-d0.ts';
import { stageContext } from './fixtures/stage-context.ts';

const shipped = readFileSync('params.yaml', 'utf8');
const d0 = async (params: GenD0Params) => expressionRows((await genD0.run(stageContext(params, {}))).dataset!);
const logic = { depth_min: 1, depth_max: 5 };

test('data.distinct = 3 at n = 10: ten rows, three distinct, repeated in turn 4, 3 and 3 times', async (t) => {
  const rows = await d0({ n: 10, distinct: 3, ...logic });
  t.is(rows.length, 10);
  const pool = rows.slice(0, 3).map((r) => r.expression);
  t.is(new Set(pool).size, 3);
  t.deepEqual(
    rows.map((r) => r.expression),
    [...pool, ...pool, ...pool, pool[0]],
  );
  t.true(rows.every((r) => r.origin === 'real' && r.generation === 0));
  // The pool is the first rows of the D_0 of every distinct row: the same distribution, fewer of its rows.
  t.deepEqual(
    pool,
    (await d0({ n: 3, ...logic })).map((r) => r.expression),
  );
});

test('without data.distinct every row of D_0 is distinct, as it always was', async (t) => {
  const rows = await d0({ n: 10, ...logic });
  t.is(new Set(rows.map((r) => r.expression)).size, 10);
  t.deepEqual(rows, await d0({ n: 10, distinct: 10, ...logic }));
});

test('data.distinct more than data.n is refused naming both keys, also as a sweep value; it may be swept though no file sets it', (t) => {
  const error = t.throws(() => parseParams(shipped, 'p.yaml', ['data.n=10', 'data.distinct=11']));
  t.regex(
    error!.message,
    /data\.distinct = 11 is more than data\.n = 10; expected a number of distinct rows from 1 to data\.n/,
  );
  const swept = t.throws(() => parseParams(shipped, 'p.yaml', ['data.n=10', 'sweep.data.distinct=[5, 20]']));
  t.regex(swept!.message, /data\.distinct = 20 is more than data\.n = 10.*\(with .*data\.distinct=20\)/);
  t.regex(t.throws(() => parseParams(shipped, 'p.yaml', ['data.distinct=0']))!.message, /data\.distinct: .*>=1/);
  t.is(parseParams(shipped, 'p.yaml').data.distinct, undefined);
  t.is(parseParams(shipped, 'p.yaml', ['data.distinct=100']).data.distinct, 100);
  t.notThrows(() => parseParams(shipped, 'p.yaml', ['sweep.data.distinct=[10, 1000]']));
});
