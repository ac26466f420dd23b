/**
 * GenLogicExpr: the seeded random tree builder that makes the real data (docs/EXPERIMENT.md §1).
 *
 * The exact rule, per draw (all choices from one `Rng` stream, so a seed fixes the output):
 * 1. A target depth d is drawn uniformly from [dMin, dMax] (depth as defined by `expressionDepth`: a literal is 1,
 *    each `not`/`and`/`or` adds a level, parentheses add none).
 * 2. A node of depth 1 is a literal, `True` or `False` with probability 1/2 each. A node of depth d > 1 is `not`,
 *    `and` or `or` with probability 1/3 each. `not` gets an operand of depth d − 1. A binary operator gets one
 *    operand of depth d − 1 (left or right with probability 1/2) and the other of depth uniform in [1, d − 1].
 *    The tree therefore has depth exactly d.
 * 3. Printing (tokens joined by single spaces) puts parentheses where precedence or associativity needs them to
 *    keep the tree: around an `and`/`or` operand of `not`, around an `or` operand of `and`, and around a right
 *    operand with the same operator as its parent (`True and ( False and True )`). Every other
 *    non-root sub-expression, literals included, is wrapped in redundant parentheses with probability 1/10.
 * 4. A draw is discarded if `trueOnly` and it evaluates to False, if `unique` and it was already produced, or if it
 *    is in `exclude`.
 */
import { Rng } from '../common/rng.ts';
import type { Expr } from './ast.ts';
import { evaluate } from './evaluate.ts';

export interface GenerateOptions {
  n: number;
  seed: number | string;
  /** Smallest tree depth, default 1. */
  dMin?: number;
  /** Largest tree depth, default 5; at most MAX_GENERATED_DEPTH. */
  dMax?: number;
  /** Keep only expressions that evaluate to True. */
  trueOnly?: boolean;
  /** No expression twice. */
  unique?: boolean;
  /** Expressions never to return (e.g. those in earlier datasets, to get fresh ones). */
  exclude?: ReadonlySet<string>;
  /** Draws allowed before giving up; default 100·n + 1000. */
  maxAttempts?: number;
  /** Called every PROGRESS_EVERY draws with the expressions found so far: a large n takes minutes. */
  progress?: (found: number) => void;
}

/** A depth-d tree has up to 2^d − 1 nodes; 20 keeps every expression printable and the recursion shallow. */
export const MAX_GENERATED_DEPTH = 20;
const WRAP_PROBABILITY = 0.1;
const PROGRESS_EVERY = 4096;

export function generateExpressions(opts: GenerateOptions): string[] {
  const { n, seed, dMin = 1, dMax = 5, trueOnly = false, unique = false, exclude } = opts;
  const maxAttempts = opts.maxAttempts ?? 100 * n + 1000;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(dMin) || !Number.isInteger(dMax) || dMin < 1 || dMax < dMin || dMax > MAX_GENERATED_DEPTH) {
    throw new RangeError(
      `depth range must be integers with 1 <= dMin <= dMax <= ${MAX_GENERATED_DEPTH}, got ${dMin}-${dMax}`,
    );
  }
  const rng = new Rng(seed);
  const out: string[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; out.length < n; attempt++) {
    if (attempt % PROGRESS_EVERY === 0) opts.progress?.(out.length);
    if (attempt >= maxAttempts) {
      throw new Error(`found only ${out.length} of ${n} requested expressions within ${maxAttempts} attempts`);
    }
    const tree = buildTree(rng, rng.range(dMin, dMax));
    if (trueOnly && !evaluate(tree)) continue;
    const text = printTree(tree, rng).join(' ');
    if (exclude?.has(text)) continue;
    if (unique) {
      if (seen.has(text)) continue;
      seen.add(text);
    }
    out.push(text);
  }
  return out;
}

function buildTree(rng: Rng, depth: number): Expr {
  if (depth === 1) return { kind: 'literal', value: rng.int(2) === 1 };
  const op = rng.int(3);
  if (op === 0) return { kind: 'not', arg: buildTree(rng, depth - 1) };
  const deepLeft = rng.int(2) === 0;
  const other = rng.range(1, depth - 1);
  const left = buildTree(rng, deepLeft ? depth - 1 : other);
  const right = buildTree(rng, deepLeft ? other : depth - 1);
  return { kind: op === 1 ? 'and' : 'or', left, right };
}

function printTree(expr: Expr, rng: Rng, out: string[] = []): string[] {
  if (expr.kind === 'literal') {
    out.push(expr.value ? 'True' : 'False');
  } else if (expr.kind === 'not') {
    out.push('not');
    printOperand(expr.arg, expr.arg.kind === 'and' || expr.arg.kind === 'or', rng, out);
  } else {
    printOperand(expr.left, expr.kind === 'and' && expr.left.kind === 'or', rng, out);
    out.push(expr.kind);
    const needed = expr.right.kind === expr.kind || (expr.kind === 'and' && expr.right.kind === 'or');
    printOperand(expr.right, needed, rng, out);
  }
  return out;
}

function printOperand(expr: Expr, needed: boolean, rng: Rng, out: string[]): void {
  const wrap = needed || rng.next() < WRAP_PROBABILITY;
  if (wrap) out.push('(');
  printTree(expr, rng, out);
  if (wrap) out.push(')');
}
