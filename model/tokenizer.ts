/**
 * Token ids for the model: the language's 7 tokens (logic/tokens.ts) plus the end-of-expression token EOS = 7,
 * which also serves as the start token.
 */
import { tokenIds } from '../logic/tokenize.ts';
import { TOKENS, type Token } from '../logic/tokens.ts';

export const EOS = TOKENS.length;
export const VOCAB_SIZE = TOKENS.length + 1;
export const VOCABULARY: readonly string[] = [...TOKENS, '<eos>'];

/** Token ids of an expression's tokens (the language's own lexer); anything that is not a token is an error. */
export function encodeExpression(text: string): number[] {
  return Array.from(tokenIds(text));
}

/** The text of a sequence of ids, tokens joined by single spaces; EOS ends it, ids outside the vocabulary throw. */
export function decodeTokens(ids: ArrayLike<number>): string {
  const words: Token[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === EOS) break;
    const token = TOKENS[id];
    if (token === undefined) throw new Error(`decodeTokens: id ${id} is outside the vocabulary`);
    words.push(token);
  }
  return words.join(' ');
}
