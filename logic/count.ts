/**
 * How many distinct expressions the generator (logic/generator.ts) can print, by value, for a depth range: the
 * most that a `unique` draw can ever return, so that a dataset size beyond it is refused before anything runs.
 *
 * A printed expression is a tree plus its optional parentheses (each non-root operand that does not need them may
 * be wrapped once), and the printing is unambiguous, so the count is a sum over trees of 2^(optional operands),
 * computed by depth, root kind and value. Counts grow doubly exponentially with depth: past depth 10 they
 * exceed a double and read as Infinity, which compares correctly with any dataset size.
 */

type Kind = 'literal' | 'not' | 'and' | 'or';
/** Per root kind, the count of printed expressions evaluating to [False, True]. */
type ByKind = Record<Kind, [number, number]>;

const KINDS: Kind[] = ['literal', 'not', 'and', 'or'];

/** Printed expressions of depth exactly d, for d = 1 … dMax; index 0 is unused. */
function countsByDepth(dMax: number): ByKind[] {
  const zero = (): ByKind => ({ literal: [0, 0], not: [0, 0], and: [0, 0], or: [0, 0] });
  const table: ByKind[] = [zero(), { ...zero(), literal: [1, 1] }];
  // An operand slot's count for value v: each kind's count, doubled where its parentheses are optional.
  const slot = (at: ByKind, v: 0 | 1, needs: (kind: Kind) => boolean) =>
    KINDS.reduce((sum, kind) => sum + at[kind][v] * (needs(kind) ? 1 : 2), 0);
  // The generator's rules (printTree): `not` wraps an and/or operand; `and` wraps a left `or` and a right and/or;
  // `or` wraps a right `or`.
  const needs = {
    not: (k: Kind) => k === 'and' || k === 'or',
    andLeft: (k: Kind) => k === 'or',
    andRight: (k: Kind) => k === 'and' || k === 'or',
    orLeft: () => false,
    orRight: (k: Kind) => k === 'or',
  };
  for (let d = 2; d <= dMax; d++) {
    const below = table[d - 1];
    const counts = zero();
    counts.not = [slot(below, 1, needs.not), slot(below, 0, needs.not)];
    // A binary node of depth d has one operand of depth d − 1 and the other of depth 1 … d − 1: the depth pairs
    // whose larger member is d − 1, each once.
    const pairs: Array<[number, number]> = [];
    for (let other = 1; other < d; other++) pairs.push([d - 1, other]);
    for (let other = 1; other < d - 1; other++) pairs.push([other, d - 1]);
    for (const [a, b] of pairs) {
      const [L, R] = [table[a], table[b]];
      const andL = [slot(L, 0, needs.andLeft), slot(L, 1, needs.andLeft)];
      const andR = [slot(R, 0, needs.andRight), slot(R, 1, needs.andRight)];
      const orL = [slot(L, 0, needs.orLeft), slot(L, 1, needs.orLeft)];
      const orR = [slot(R, 0, needs.orRight), slot(R, 1, needs.orRight)];
      // Sums of products, never differences: Infinity − Infinity would be NaN.
      counts.and[1] += andL[1] * andR[1];
      counts.and[0] += andL[0] * andR[0] + andL[0] * andR[1] + andL[1] * andR[0];
      counts.or[0] += orL[0] * orR[0];
      counts.or[1] += orL[1] * orR[1] + orL[0] * orR[1] + orL[1] * orR[0];
    }
    table.push(counts);
  }
  return table;
}

/** Distinct printed expressions of depth dMin … dMax that evaluate to `value` (Infinity when beyond a double). */
export function countExpressions(dMin: number, dMax: number, value: boolean): number {
  const table = countsByDepth(dMax);
  let total = 0;
  for (let d = dMin; d <= dMax; d++) for (const kind of KINDS) total += table[d][kind][value ? 1 : 0];
  return total;
}
