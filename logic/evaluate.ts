import { foldExpr, type Expr, type ExprFolder } from './ast.ts';

const VALUE: ExprFolder<boolean> = {
  literal: (value) => value,
  not: (arg) => !arg,
  binary: (op, left, right) => (op === 'and' ? left && right : left || right),
};

/** The expression's value under Python semantics. */
export function evaluate(expr: Expr): boolean {
  return foldExpr(expr, VALUE);
}

const DEPTH: ExprFolder<number> = {
  literal: () => 1,
  not: (arg) => arg + 1,
  binary: (_op, left, right) => Math.max(left, right) + 1,
};

/**
 * Depth of the expression tree: a literal has depth 1, and `not` and each binary operator add one level above
 * their deepest operand; parentheses add nothing. So `True` is 1, `not True` and `True and False` are 2,
 * `( True and not False ) or True` is 4. The generator's depth bounds mean exactly this.
 */
export function expressionDepth(expr: Expr): number {
  return foldExpr(expr, DEPTH);
}
