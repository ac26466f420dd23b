/**
 * Parser for the grammar (Python's precedence: `not` > `and` > `or`; `and`/`or` left-associative):
 *
 *     or_expr  := and_expr ('or' and_expr)*
 *     and_expr := not_expr ('and' not_expr)*
 *     not_expr := 'not' not_expr | atom
 *     atom     := 'True' | 'False' | '(' or_expr ')'
 *
 * It is an operator-precedence parser with explicit stacks (equivalent to the recursive descent above), so any
 * nesting depth or length is accepted without recursion; 100,000 tokens parse in milliseconds. The scanner
 * alternates between expecting a value (literal, `not` or `(`) and expecting an operator (`and`, `or`, `)` or the
 * end); the error kinds follow from which token breaks that alternation.
 */
import type { BinaryOp, Expr } from './ast.ts';
import { ExpressionSyntaxError, lex, type LexedExpression } from './tokenize.ts';

type StackOp = BinaryOp | 'not' | '(';

/** Binding strength of an operator on the stack; '(' is a barrier that no operator reduces past. */
const PRECEDENCE: Record<StackOp, number> = { '(': 0, or: 1, and: 2, not: 3 };

export function parse(text: string): Expr {
  return parseLexed(text, lex(text));
}

export function parseLexed(text: string, { tokens, starts }: LexedExpression): Expr {
  if (tokens.length === 0) throw new ExpressionSyntaxError('empty-input', 'empty input: no tokens', 0, 0);
  const ops: StackOp[] = [];
  const opIndex: number[] = []; // token index of each stacked op, to point at an unclosed '('
  const operands: Expr[] = [];

  const reduce = (): void => {
    const op = ops.pop() as StackOp;
    opIndex.pop();
    if (op === 'not') {
      operands.push({ kind: 'not', arg: operands.pop() as Expr });
    } else if (op !== '(') {
      const right = operands.pop() as Expr;
      const left = operands.pop() as Expr;
      operands.push({ kind: op, left, right });
    }
  };
  const fail = (kind: ExpressionSyntaxError['kind'], reason: string, index: number): never => {
    const position = index < tokens.length ? starts[index] : text.length;
    throw new ExpressionSyntaxError(kind, `${reason} (token ${index}, character ${position})`, position, index);
  };

  let expectValue = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (expectValue) {
      if (token === 'True' || token === 'False') {
        operands.push({ kind: 'literal', value: token === 'True' });
        expectValue = false;
      } else if (token === 'not' || token === '(') {
        ops.push(token);
        opIndex.push(i);
      } else if (token === ')' && i > 0 && tokens[i - 1] === '(') {
        fail('empty-parens', "empty parentheses '( )'", i - 1);
      } else {
        fail('unexpected-token', `unexpected '${token}': expected True, False, not or '('`, i);
      }
    } else if (token === 'and' || token === 'or') {
      while (PRECEDENCE[ops[ops.length - 1]] >= PRECEDENCE[token]) reduce();
      ops.push(token);
      opIndex.push(i);
      expectValue = true;
    } else if (token === ')') {
      while (ops.length > 0 && ops[ops.length - 1] !== '(') reduce();
      if (ops.length === 0) fail('unmatched-paren', "unmatched ')': no '(' is open", i);
      reduce(); // the '(' itself
    } else if (token === '(') {
      fail('call', "'(' directly after a value (Python would read a call)", i);
    } else if (ops.includes('(')) {
      fail('unclosed-paren', `missing ')': expected and, or or ')' but found '${token}'`, i);
    } else {
      fail('trailing-tokens', `trailing tokens after a complete expression, starting with '${token}'`, i);
    }
  }
  if (expectValue) fail('unexpected-token', "unexpected end of input: expected True, False, not or '('", tokens.length);
  while (ops.length > 0) {
    if (ops[ops.length - 1] === '(')
      fail('unclosed-paren', "missing ')': '(' is never closed", opIndex[opIndex.length - 1]);
    reduce();
  }
  return operands[0];
}
