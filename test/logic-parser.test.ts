import test from 'ava';
import { checkExpression } from '../logic/check.ts';
import { evaluate, expressionDepth } from '../logic/evaluate.ts';
import { parse } from '../logic/parser.ts';
import { ExpressionSyntaxError, tokenIds, tokenize } from '../logic/tokenize.ts';

const value = (text: string): boolean => evaluate(parse(text));

test('precedence: not > and > or, left-associative', (t) => {
  const cases: [string, boolean][] = [
    ['not True or True', true],
    ['True or True and False', true],
    ['not ( True and False )', true],
    ['False and False or True', true],
    ['not True and False', false],
    ['not False and False', false],
    ['True or False and False', true],
    ['( True or False ) and False', false],
    ['not not True', true],
    ['True and not False', true],
    ['False or not True or True', true],
    ['( ( ( False ) ) )', false],
  ];
  for (const [text, expected] of cases) t.is(value(text), expected, text);
  t.deepEqual(parse('True and False and True'), {
    kind: 'and',
    left: { kind: 'and', left: { kind: 'literal', value: true }, right: { kind: 'literal', value: false } },
    right: { kind: 'literal', value: true },
  });
  t.deepEqual(parse('not True or False'), {
    kind: 'or',
    left: { kind: 'not', arg: { kind: 'literal', value: true } },
    right: { kind: 'literal', value: false },
  });
});

test('depth: literal 1, each operator one more, parentheses none', (t) => {
  const depth = (text: string): number => expressionDepth(parse(text));
  t.is(depth('True'), 1);
  t.is(depth('( ( True ) )'), 1);
  t.is(depth('not True'), 2);
  t.is(depth('True and False'), 2);
  t.is(depth('True and False or True'), 3);
  t.is(depth('( True and not False ) or True'), 4);
});

test('tokenizer: whitespace, positions, bad characters and words', (t) => {
  t.deepEqual(tokenize('  (True\tand\n not False)  '), ['(', 'True', 'and', 'not', 'False', ')']);
  t.deepEqual([...tokenIds('True False and or not ( )')], [0, 1, 2, 3, 4, 5, 6]);
  const bad = t.throws(() => tokenize('True x'), { instanceOf: ExpressionSyntaxError });
  t.is(bad.position, 5);
  t.is(bad.reason, "unknown word 'x' at 5");
  const char = t.throws(() => tokenize('True @ False'), { instanceOf: ExpressionSyntaxError });
  t.is(char.position, 5);
  t.is(char.reason, "unexpected character '@' at 5");
  t.is(t.throws(() => tokenize('Truex'), { instanceOf: ExpressionSyntaxError }).reason, "unknown word 'Truex' at 0");
});

test('every syntax error class has its own message, token index and character position', (t) => {
  const cases: [string, ExpressionSyntaxError['kind'], RegExp, number, number][] = [
    ['', 'empty-input', /^empty input/, 0, 0],
    ['   ', 'empty-input', /^empty input/, 0, 0],
    ['True and or False', 'unexpected-token', /^unexpected 'or': expected True, False, not or '\('/, 2, 9],
    ['and True', 'unexpected-token', /^unexpected 'and'/, 0, 0],
    ['True and', 'unexpected-token', /^unexpected end of input/, 2, 8],
    ['not', 'unexpected-token', /^unexpected end of input/, 1, 3],
    ['( True and False', 'unclosed-paren', /^missing '\)': '\(' is never closed/, 0, 0],
    ['( ( True ) True )', 'unclosed-paren', /^missing '\)': expected and, or or '\)' but found 'True'/, 4, 11],
    ['True )', 'unmatched-paren', /^unmatched '\)'/, 1, 5],
    ['( True ) ) or False', 'unmatched-paren', /^unmatched '\)'/, 3, 9],
    ['True False', 'trailing-tokens', /^trailing tokens after a complete expression, starting with 'False'/, 1, 5],
    ['True not False', 'trailing-tokens', /^trailing tokens/, 1, 5],
    ['not ( )', 'empty-parens', /^empty parentheses/, 1, 4],
    ['True ( False )', 'call', /^'\(' directly after a value/, 1, 5],
    ['( True ) ( False )', 'call', /^'\(' directly after a value/, 3, 9],
  ];
  for (const [text, kind, message, tokenIndex, position] of cases) {
    const error = t.throws(() => parse(text), { instanceOf: ExpressionSyntaxError }, text);
    t.is(error.kind, kind, text);
    t.regex(error.reason, message, text);
    t.is(error.tokenIndex, tokenIndex, text);
    t.is(error.position, position, text);
    t.deepEqual(checkExpression(text).error, { kind, position, tokenIndex, reason: error.reason }, text);
  }
});

test('checkExpression never throws and reports verdicts', (t) => {
  t.deepEqual(checkExpression('not ( True and False )'), { syntactic: true, semantic: true, tokens: 6, depth: 3 });
  t.deepEqual(checkExpression('False or False'), { syntactic: true, semantic: false, tokens: 3, depth: 2 });
  const junk = checkExpression('hello world True');
  t.false(junk.syntactic);
  t.is(junk.tokens, 3);
  t.is(junk.error?.position, 0);
  t.is(junk.error?.tokenIndex, undefined);
});

test('100,000-token inputs are parsed without recursion', (t) => {
  const timed = <T>(label: string, run: () => T): T => {
    const start = performance.now();
    const result = run();
    t.log(`${label}: ${(performance.now() - start).toFixed(0)} ms`);
    return result;
  };
  const nots = `${'not '.repeat(99_999)}True`;
  t.deepEqual(
    timed('99,999 nots', () => checkExpression(nots)),
    { syntactic: true, semantic: false, tokens: 100_000, depth: 100_000 },
  );
  const nested = `${'( '.repeat(50_000)}True${' )'.repeat(50_000)}`;
  t.deepEqual(
    timed('50,000 nested parens', () => checkExpression(nested)),
    { syntactic: true, semantic: true, tokens: 100_001, depth: 1 },
  );
  const chain = `True${' and True'.repeat(50_000)}`;
  t.deepEqual(
    timed('and-chain', () => checkExpression(chain)),
    { syntactic: true, semantic: true, tokens: 100_001, depth: 50_001 },
  );
  const unclosed = `${'( '.repeat(100_000)}True`;
  const verdict = timed('100,000 unclosed parens', () => checkExpression(unclosed));
  t.is(verdict.error?.kind, 'unclosed-paren');
  t.is(verdict.error?.tokenIndex, 99_999);
});
