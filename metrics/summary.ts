/**
 * The task-independent per-set metrics of docs/EXPERIMENT.md §5 over lines of text (a dataset or a model's samples):
 * count, Levenshtein diversity over token ids, unique lines, mean length in tokens, and the share copied from a
 * reference. The task adds its own figures (tasks/task.ts summarize).
 */
import type { Tokenizer } from '../tasks/task.ts';
import { levenshteinDiversity, sampledLevenshteinDiversity, type DiversityProgress } from './diversity.ts';

export interface SetSummary {
  count: number;
  /** Levenshtein diversity over the lines' token sequences: exact over all pairs, or a sampled estimate. */
  diversity: number;
  /** Standard error of a sampled diversity estimate; 0 when exact. */
  diversityStderr: number;
  /** Number of distinct lines (as strings). */
  unique: number;
  /** Mean token count over all lines (a line the tokenizer refuses counts its words). */
  meanLength: number;
}

export interface SummaryOptions {
  /** 0 (the default): exact all-pairs diversity; otherwise a seeded estimate over this many random pairs. */
  diversityPairs?: number;
  seed?: number | string;
  /** Told the diversity's pairs compared so far, as it computes them. */
  progress?: DiversityProgress;
}

export function summarizeLines(
  lines: readonly string[],
  tokenizer: Tokenizer,
  options: SummaryOptions = {},
): SetSummary {
  const sequenceOf = sequenceEncoder(tokenizer);
  const seqs = lines.map(sequenceOf);
  const count = lines.length;
  const length = seqs.reduce((sum, seq) => sum + seq.length, 0);
  return {
    count,
    ...diversityOf(seqs, options),
    unique: new Set(lines).size,
    meanLength: count === 0 ? 0 : length / count,
  };
}

function diversityOf(seqs: Uint16Array[], { diversityPairs = 0, seed = 0, progress }: SummaryOptions) {
  if (diversityPairs === 0) return { diversity: levenshteinDiversity(seqs, progress), diversityStderr: 0 };
  const estimate = sampledLevenshteinDiversity(seqs, diversityPairs, seed, progress);
  return { diversity: estimate.mean, diversityStderr: estimate.stderr };
}

/**
 * A line's sequence for diversity: its token ids where the tokenizer encodes it. A line it refuses (the `score`
 * command reads arbitrary text) is split on whitespace: vocabulary words keep their id, and each distinct unknown
 * word gets its own id from the vocabulary's size upwards, shared across the lines of one set, so distances between
 * such lines still count word edits.
 */
function sequenceEncoder(tokenizer: Tokenizer): (line: string) => Uint16Array {
  const known = new Map(tokenizer.vocabulary.map((symbol, id) => [symbol, id]));
  const idOf = (word: string): number => {
    let id = known.get(word);
    if (id === undefined) {
      id = known.size;
      if (id > 0xffff)
        throw new RangeError(`more than ${0xffff + 1} distinct words and symbols: too many to tell apart`);
      known.set(word, id);
    }
    return id;
  };
  return (line) => {
    let ids: number[];
    try {
      ids = tokenizer.encode(line);
    } catch {
      const trimmed = line.trim();
      return Uint16Array.from(trimmed === '' ? [] : trimmed.split(/\s+/), idOf);
    }
    if (ids.some((id) => id > 0xffff)) throw new RangeError(`a token id over ${0xffff}: too many to tell apart`);
    return Uint16Array.from(ids);
  };
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
