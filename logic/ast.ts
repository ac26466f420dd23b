/** The expression tree shared by the parser, evaluator and generator. Parentheses leave no node of their own. */
export type BinaryOp = 'and' | 'or';

export type Expr =
  | { kind: 'literal'; value: boolean }
  | { kind: 'not'; arg: Expr }
  | { kind: BinaryOp; left: Expr; right: Expr };

export interface ExprFolder<T> {
  literal(value: boolean): T;
  not(arg: T): T;
  binary(op: BinaryOp, left: T, right: T): T;
}

/**
 * Bottom-up fold over a tree with an explicit stack, so a 100,000-level tree does not exhaust the JS call stack.
 * Every node is visited (no short-circuit): for pure booleans Python's short-circuit cannot change the value.
 */
export function foldExpr<T>(root: Expr, folder: ExprFolder<T>): T {
  const pending: Expr[] = [root];
  const expanded: boolean[] = [false];
  const values: T[] = [];
  while (pending.length > 0) {
    const node = pending[pending.length - 1];
    if (node.kind === 'literal') {
      pending.pop();
      expanded.pop();
      values.push(folder.literal(node.value));
    } else if (!expanded[expanded.length - 1]) {
      expanded[expanded.length - 1] = true;
      if (node.kind === 'not') {
        pending.push(node.arg);
        expanded.push(false);
      } else {
        pending.push(node.right, node.left); // left on top: evaluated first, so its value is pushed first
        expanded.push(false, false);
      }
    } else {
      pending.pop();
      expanded.pop();
      if (node.kind === 'not') {
        values.push(folder.not(values.pop() as T));
      } else {
        const right = values.pop() as T;
        const left = values.pop() as T;
        values.push(folder.binary(node.kind, left, right));
      }
    }
  }
  return values[0];
}
