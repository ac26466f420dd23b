import { evaluate, expressionDepth } from './evaluate.ts';
import { parseLexed } from './parser.ts';
import { ExpressionSyntaxError, lex, type SyntaxErrorKind } from './tokenize.ts';

export interface ExpressionVerdict {
  /** The text parses under the grammar. */
  syntactic: boolean;
  /** It parses and evaluates to True. */
  semantic: boolean;
  /** Token count when the text lexes, otherwise the number of whitespace-separated words. */
  tokens: number;
  /** Tree depth (see expressionDepth), when it parses. */
  depth?: number;
  error?: { kind: SyntaxErrorKind; position: number; tokenIndex?: number; reason: string };
}

/** Verdict on one line of text; never throws for bad input. */
export function checkExpression(text: string): ExpressionVerdict {
  let tokens = splitWords(text).length;
  try {
    const lexed = lex(text);
    tokens = lexed.tokens.length;
    const expr = parseLexed(text, lexed);
    return { syntactic: true, semantic: evaluate(expr), tokens, depth: expressionDepth(expr) };
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    const { kind, position, tokenIndex, reason } = error;
    return { syntactic: false, semantic: false, tokens, error: { kind, position, tokenIndex, reason } };
  }
}

/** The whitespace-separated words of a line: the unit of length when it is not made of tokens. */
export function splitWords(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}
