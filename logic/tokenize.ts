/**
 * Lexing of Boolean expressions (docs/EXPERIMENT.md §1). Tokens may be separated by any whitespace, and parentheses
 * need none around them (`(True)` lexes like `( True )`), as in Python; the canonical form used everywhere else is
 * the tokens joined by single spaces.
 */
import { TOKEN_ID, TOKENS, type Token } from './tokens.ts';

/** What kind of mistake an expression has; each kind has its own message wording. */
export type SyntaxErrorKind =
  | 'unknown-character'
  | 'unknown-word'
  | 'empty-input'
  | 'unexpected-token'
  | 'unclosed-paren'
  | 'unmatched-paren'
  | 'trailing-tokens'
  | 'empty-parens'
  | 'call';

/**
 * A lexing or parsing failure. `position` is the 0-based character offset of the offending character or token
 * (the text's length when the input ends too early); `tokenIndex` is the offending token's index (the token count
 * for a premature end), absent when lexing failed.
 */
export class ExpressionSyntaxError extends Error {
  constructor(
    readonly kind: SyntaxErrorKind,
    readonly reason: string,
    readonly position: number,
    readonly tokenIndex?: number,
  ) {
    super(reason);
    this.name = 'ExpressionSyntaxError';
  }
}

/** Tokens with the character offset where each starts. */
export interface LexedExpression {
  tokens: Token[];
  starts: number[];
}

const KEYWORDS: ReadonlyMap<string, Token> = new Map(TOKENS.map((t) => [t, t]));
const WORD_CHAR = /[A-Za-z0-9_]/;
const SPACE = /\s/;

export function lex(text: string): LexedExpression {
  const tokens: Token[] = [];
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (SPACE.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push(ch);
      starts.push(i++);
    } else if (WORD_CHAR.test(ch)) {
      // A whole identifier-like word is read first so that e.g. `Truex` is one unknown word, as Python would see it.
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text[end])) end++;
      const word = text.slice(i, end);
      const token = KEYWORDS.get(word);
      if (token === undefined) {
        throw new ExpressionSyntaxError('unknown-word', `unknown word '${word}' at ${i}`, i);
      }
      tokens.push(token);
      starts.push(i);
      i = end;
    } else {
      throw new ExpressionSyntaxError('unknown-character', `unexpected character '${ch}' at ${i}`, i);
    }
  }
  return { tokens, starts };
}

export function tokenize(text: string): Token[] {
  return lex(text).tokens;
}

/** The token-id sequence of `text` (ids as in TOKEN_ID). */
export function tokenIds(text: string): Uint8Array {
  return Uint8Array.from(tokenize(text), (t) => TOKEN_ID[t]);
}
