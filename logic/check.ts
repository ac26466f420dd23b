import { evaluate, expressionDepth } from './evaluate.ts';
import { parseLexed } from './parser.ts';
import { ExpressionSyntaxError, lex, type LexedExpression, type SyntaxErrorKind } from './tokenize.ts';

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
  let lexed: LexedExpression;
  try {
    lexed = lex(text);
  } catch (error) {
    return failedVerdict(error, splitWords(text).length);
  }
  return checkLexed(text, lexed);
}

/** checkExpression for text already lexed (`lexed` is lex(text)), for callers that need the tokens too. */
export function checkLexed(text: string, lexed: LexedExpression): ExpressionVerdict {
  const tokens = lexed.tokens.length;
  try {
    const expr = parseLexed(text, lexed);
    return { syntactic: true, semantic: evaluate(expr), tokens, depth: expressionDepth(expr) };
  } catch (error) {
    return failedVerdict(error, tokens);
  }
}

/**
 * The verdict on text that failed with `error` when lexed or parsed, `tokens` long (its word count when it does not
 * lex). Anything but an ExpressionSyntaxError is a bug, and is rethrown.
 */
export function failedVerdict(error: unknown, tokens: number): ExpressionVerdict {
  if (!(error instanceof ExpressionSyntaxError)) throw error;
  const { kind, position, tokenIndex, reason } = error;
  return { syntactic: false, semantic: false, tokens, error: { kind, position, tokenIndex, reason } };
}

/** The whitespace-separated words of a line: the unit of length when it is not made of tokens. */
export function splitWords(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}
