/**
 * Levenshtein diversity (docs/EXPERIMENT.md §5): the mean, over all unordered pairs of a set's members, of the
 * normalized token-level distance (distance / longer length). A set with fewer than two members has no pairs; its
 * diversity is defined as 0, the same as a set of identical members.
 */
import { Rng } from '../common/rng.ts';
import { denseCodes, MyersPattern, type TokenSequence } from './levenshtein.ts';

/**
 * Exact all-pairs diversity. Identical sequences are grouped first (their pairs have distance 0, and a collapsed
 * set of many copies costs as little as its distinct members); each distinct pair is computed once and weighted by
 * the product of the two counts. Distinct sequences are visited longest first and each is the bit-parallel pattern
 * (bitmasks built once) against all shorter ones: a pattern of up to 32 tokens costs one step per text token, so
 * the shorter sequence should be the text. (Only patterns over 32 tokens, rare here, cost more words per step.)
 */
export function levenshteinDiversity(seqs: readonly TokenSequence[], progress?: DiversityProgress): number {
  const total = seqs.length;
  if (total < 2) return 0;
  const groups = new Map<string, { seq: TokenSequence; count: number }>();
  for (const seq of seqs) {
    const key = seq.join(',');
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { seq, count: 1 });
  }
  const distinct = [...groups.values()].sort((x, y) => y.seq.length - x.seq.length);
  const { codes, alphabetSize } = denseCodes(distinct.map((g) => g.seq));
  const counts = distinct.map((g) => g.count);
  const matcher = new MyersPattern(alphabetSize, codes[0].length);
  let sum = 0;
  const pairs = (codes.length * (codes.length - 1)) / 2;
  let done = 0;
  for (let i = 0; i < codes.length - 1; i++) {
    matcher.set(codes[i]);
    let row = 0;
    for (let j = i + 1; j < codes.length; j++) row += counts[j] * matcher.distance(codes[j]);
    // codes[i] is the longer of each of its pairs: the normalizer, and not empty since the pair is distinct.
    sum += (counts[i] * row) / codes[i].length;
    done += codes.length - 1 - i;
    progress?.(done, pairs);
  }
  return sum / ((total * (total - 1)) / 2);
}

/** Pairs compared so far of all to compare (distinct pairs when exact): a large set takes minutes. */
export type DiversityProgress = (done: number, total: number) => void;
const PROGRESS_EVERY = 65_536;

export interface SampledDiversity {
  mean: number;
  /** Standard error of the mean (sample standard deviation / √pairs). */
  stderr: number;
  pairs: number;
}

/** Estimate from `pairs` random pairs of distinct indices (uniform over unordered pairs, drawn with replacement). */
export function sampledLevenshteinDiversity(
  seqs: readonly TokenSequence[],
  pairs: number,
  seed: number | string,
  progress?: DiversityProgress,
): SampledDiversity {
  if (seqs.length < 2 || pairs < 1) return { mean: 0, stderr: 0, pairs: 0 };
  const rng = new Rng(seed);
  // One alphabet and one matcher for the whole set, as the exact measure does, not a fresh pair of each per pair.
  const { codes, alphabetSize } = denseCodes(seqs);
  const matcher = new MyersPattern(
    alphabetSize,
    codes.reduce((longest, c) => Math.max(longest, c.length), 0),
  );
  let sum = 0;
  let sumSquares = 0;
  for (let k = 0; k < pairs; k++) {
    if (k % PROGRESS_EVERY === 0) progress?.(k, pairs);
    const i = rng.int(seqs.length);
    let j = rng.int(seqs.length - 1);
    if (j >= i) j++;
    const [longer, shorter] = codes[i].length >= codes[j].length ? [codes[i], codes[j]] : [codes[j], codes[i]];
    let d = 0;
    if (longer.length > 0) {
      matcher.set(longer);
      d = matcher.distance(shorter) / longer.length;
    }
    sum += d;
    sumSquares += d * d;
  }
  const mean = sum / pairs;
  const variance = pairs > 1 ? Math.max(0, (sumSquares - pairs * mean * mean) / (pairs - 1)) : 0;
  return { mean, stderr: Math.sqrt(variance / pairs), pairs };
}
