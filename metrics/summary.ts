/** The per-set metrics of docs/EXPERIMENT.md §5 over lines of text (dataset or model samples). */
import { checkLexed, failedVerdict, splitWords, type ExpressionVerdict } from '../logic/check.ts';
import { lex, type LexedExpression } from '../logic/tokenize.ts';
import { TOKEN_ID, TOKENS, type Token } from '../logic/tokens.ts';
import { levenshteinDiversity, sampledLevenshteinDiversity, type DiversityProgress } from './diversity.ts';

export interface ExpressionSetSummary {
  count: number;
  /** Share (0..1) of lines that parse. */
  syntactic: number;
  /** Share (0..1) of lines that parse and evaluate to True. */
  semantic: number;
  /** Levenshtein diversity over the lines' token sequences: exact over all pairs, or a sampled estimate. */
  diversity: number;
  /** Standard error of a sampled diversity estimate; 0 when exact. */
  diversityStderr: number;
  /** Number of distinct lines (as strings). */
  unique: number;
  /** Mean token count over all lines (ExpressionVerdict.tokens). */
  meanLength: number;
  /** Mean tree depth over lines that parse; null when none does. */
  meanDepth: number | null;
}

export interface SummaryOptions {
  /** 0 (the default): exact all-pairs diversity; otherwise a seeded estimate over this many random pairs. */
  diversityPairs?: number;
  seed?: number | string;
  /** Told the diversity's pairs compared so far, as it computes them. */
  progress?: DiversityProgress;
}

export function summarizeExpressions(lines: readonly string[], options: SummaryOptions = {}): ExpressionSetSummary {
  let syntactic = 0;
  let semantic = 0;
  let length = 0;
  let depth = 0;
  const wordIds = unknownWordEncoder();
  const seqs: Uint16Array[] = [];
  for (const line of lines) {
    const { verdict, seq } = checkLine(line, wordIds);
    seqs.push(seq);
    length += verdict.tokens;
    if (verdict.syntactic) {
      syntactic++;
      depth += verdict.depth as number;
    }
    if (verdict.semantic) semantic++;
  }
  const count = lines.length;
  const share = (k: number): number => (count === 0 ? 0 : k / count);
  return {
    count,
    syntactic: share(syntactic),
    semantic: share(semantic),
    ...diversityOf(seqs, options),
    unique: new Set(lines).size,
    meanLength: share(length),
    meanDepth: syntactic === 0 ? null : depth / syntactic,
  };
}

/**
 * checkExpression's verdict on a line and its token sequence for diversity, from one lex. A line that lexes gives its
 * token ids. A line that does not (the `score` command reads arbitrary text) is split on whitespace: vocabulary words
 * keep their TOKEN_ID, and each distinct unknown word gets its own id from TOKENS.length (7) upwards, shared across
 * the lines of one set, so distances between such lines still count word edits.
 */
function checkLine(line: string, wordIds: WordEncoder): { verdict: ExpressionVerdict; seq: Uint16Array } {
  let lexed: LexedExpression;
  try {
    lexed = lex(line);
  } catch (error) {
    const words = splitWords(line);
    return { verdict: failedVerdict(error, words.length), seq: wordIds(words) };
  }
  return { verdict: checkLexed(line, lexed), seq: tokenIds(lexed) };
}

function diversityOf(seqs: Uint16Array[], { diversityPairs = 0, seed = 0, progress }: SummaryOptions) {
  if (diversityPairs === 0) return { diversity: levenshteinDiversity(seqs, progress), diversityStderr: 0 };
  const estimate = sampledLevenshteinDiversity(seqs, diversityPairs, seed, progress);
  return { diversity: estimate.mean, diversityStderr: estimate.stderr };
}

/** The diversity sequence of a line that lexes: its TOKEN_IDs. */
function tokenIds(lexed: LexedExpression): Uint16Array {
  return Uint16Array.from(lexed.tokens, (t) => TOKEN_ID[t]);
}

/** Maps the words of a line that does not lex to its diversity sequence. */
type WordEncoder = (words: readonly string[]) => Uint16Array;

/**
 * A fresh WordEncoder: vocabulary words keep their TOKEN_ID, unknown ones get ids from TOKENS.length up, in order of
 * first appearance across the calls to this encoder.
 */
function unknownWordEncoder(): WordEncoder {
  const unknown = new Map<string, number>();
  const idOf = (word: string): number => {
    if (TOKENS.includes(word as Token)) return TOKEN_ID[word as Token];
    let id = unknown.get(word);
    if (id === undefined) {
      id = TOKENS.length + unknown.size;
      if (id > 0xffff) throw new RangeError('more than 65,529 distinct unknown words: too many to tell apart');
      unknown.set(word, id);
    }
    return id;
  };
  return (words) => Uint16Array.from(words, idOf);
}

/**
 * Share (0..1) of `samples` that occur verbatim in `reference` (memorisation of the training set); lines are
 * compared as exact strings. 0 for no samples.
 */
export function copiedShare(samples: readonly string[], reference: readonly string[]): number {
  if (samples.length === 0) return 0;
  const known = new Set(reference);
  return samples.filter((s) => known.has(s)).length / samples.length;
}
