/**
 * Token ids for the model: the language's 7 tokens (logic/tokens.ts) plus the end-of-expression token EOS = 7,
 * which also serves as the start token.
 */
import { TOKENS, TOKEN_ID, type Token } from '../logic/tokens.ts';

export const EOS = TOKENS.length;
export const VOCAB_SIZE = TOKENS.length + 1;
export const VOCABULARY: readonly string[] = [...TOKENS, '<eos>'];

/** Token ids of an expression written as tokens joined by whitespace. Unknown tokens are an error. */
export function encodeExpression(text: string): number[] {
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  return words.map((w) => {
    const id = (TOKEN_ID as Record<string, number | undefined>)[w];
    if (id === undefined) throw new Error(`encodeExpression: unknown token ${JSON.stringify(w)} in ${JSON.stringify(text)}`);
    return id;
  });
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
