import test from 'ava';
import { tokenize } from '../logic/tokenize.ts';
import { checkExpression } from '../logic/check.ts';
import { evaluate, expressionDepth } from '../logic/evaluate.ts';
import { generateExpressions } from '../logic/generator.ts';
import { parse } from '../logic/parser.ts';

test('same seed, same expressions; another seed, others', (t) => {
  const a = generateExpressions({ n: 200, seed: 7 });
  t.deepEqual(a, generateExpressions({ n: 200, seed: 7 }));
  t.notDeepEqual(a, generateExpressions({ n: 200, seed: 8 }));
  t.deepEqual(generateExpressions({ n: 50, seed: 'key' }), generateExpressions({ n: 50, seed: 'key' }));
});

test('output is canonical and every depth stays within [dMin, dMax]', (t) => {
  for (const [dMin, dMax] of [
    [1, 5],
    [3, 3],
    [2, 7],
  ]) {
    const depths = new Set<number>();
    for (const text of generateExpressions({ n: 1000, seed: dMin * 10 + dMax, dMin, dMax })) {
      const depth = expressionDepth(parse(text));
      t.true(depth >= dMin && depth <= dMax, `${text} has depth ${depth}, outside ${dMin}-${dMax}`);
      t.is(tokenize(text).join(' '), text, 'real tokens joined by single spaces');
      depths.add(depth);
    }
    t.is(depths.size, dMax - dMin + 1, `every depth in ${dMin}-${dMax} occurs`);
  }
});

test('trueOnly, unique and exclude are honoured', (t) => {
  const mixed = generateExpressions({ n: 1000, seed: 3 });
  const values = mixed.map((text) => evaluate(parse(text)));
  t.true(values.includes(false) && values.includes(true));
  t.true(new Set(mixed).size < mixed.length, 'without unique, short expressions repeat');
  const trueOnes = generateExpressions({ n: 1000, seed: 3, trueOnly: true, unique: true });
  t.true(trueOnes.every((text) => checkExpression(text).semantic));
  t.is(new Set(trueOnes).size, 1000);
  const exclude = new Set(trueOnes);
  const fresh = generateExpressions({ n: 1000, seed: 3, trueOnly: true, unique: true, exclude });
  t.true(fresh.every((text) => !exclude.has(text)));
});

test('asking for more unique expressions than exist fails with the count found', (t) => {
  // Depth 1 has only two expressions, True and False.
  t.throws(() => generateExpressions({ n: 3, seed: 1, dMin: 1, dMax: 1, unique: true, maxAttempts: 500 }), {
    message: 'found only 2 of 3 requested expressions within 500 attempts',
  });
  t.throws(() => generateExpressions({ n: 1, seed: 1, dMin: 0 }), { message: /depth range/ });
});

test('10,000 unique True expressions of depth 1-5', (t) => {
  const start = performance.now();
  const lines = generateExpressions({ n: 10_000, seed: 1, trueOnly: true, unique: true });
  t.log(`generated in ${(performance.now() - start).toFixed(0)} ms`);
  t.is(lines.length, 10_000);
  t.is(new Set(lines).size, 10_000);
  t.true(lines.every((text) => checkExpression(text).semantic));
});
