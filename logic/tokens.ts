/**
 * The vocabulary of the Boolean-expression language (docs/EXPERIMENT.md §1). An expression is serialised as its tokens
 * joined by single spaces. Token ids are the indices below; the model adds one more id, the end-of-expression
 * token, after these (see model/), so the model's vocabulary has 8 entries.
 */
export const TOKENS = ['True', 'False', 'and', 'or', 'not', '(', ')'] as const;
export type Token = (typeof TOKENS)[number];

export const TOKEN_ID: Readonly<Record<Token, number>> = Object.freeze(
  Object.fromEntries(TOKENS.map((t, i) => [t, i])) as Record<Token, number>,
);
