/**
 * Token-level Levenshtein distance (unit-cost insert, delete, substitute) between token-id sequences.
 *
 * `levenshteinDP` is the textbook dynamic programme, kept as the reference. `levenshtein` is Myers' bit-parallel
 * algorithm in Hyyrö's formulation, with 32-bit words and Myers' block scheme for patterns longer than 32 tokens:
 * each column of the DP matrix is held as vertical +1/−1 delta bit-vectors, one word per 32 pattern rows, and the
 * horizontal delta leaving the top of one word carries into the next.
 */

/** Token ids (TOKEN_ID values, or larger ids for words outside the vocabulary). */
export type TokenSequence = Uint8Array | Uint16Array;

export function levenshteinDP(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitute = prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(substitute, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * One pattern's match bitmasks, reusable across patterns: `peq[c * maxWords + w]` has bit k set when pattern
 * token 32·w + k has code c. Codes are dense in [0, alphabetSize) so the table is a flat array, not a map.
 */
export class MyersPattern {
  private readonly peq: Int32Array;
  private readonly pv: Int32Array;
  private readonly mv: Int32Array;
  private readonly maxWords: number;
  private pattern: Uint16Array = new Uint16Array(0);
  private words = 0;

  constructor(alphabetSize: number, maxPatternLength: number) {
    this.maxWords = Math.max(1, Math.ceil(maxPatternLength / 32));
    this.peq = new Int32Array(alphabetSize * this.maxWords);
    this.pv = new Int32Array(this.maxWords);
    this.mv = new Int32Array(this.maxWords);
  }

  /** Loads a pattern (codes < alphabetSize, length <= maxPatternLength), replacing the previous one. */
  set(pattern: Uint16Array): void {
    const stride = this.maxWords;
    for (const c of this.pattern) this.peq.fill(0, c * stride, c * stride + stride);
    this.pattern = pattern;
    this.words = Math.ceil(pattern.length / 32);
    for (let k = 0; k < pattern.length; k++) this.peq[pattern[k] * stride + (k >>> 5)] |= 1 << (k & 31);
  }

  /** Edit distance from the loaded pattern to `text` (codes < alphabetSize). */
  distance(text: Uint16Array): number {
    const m = this.pattern.length;
    const n = text.length;
    if (m === 0 || n === 0) return m + n;
    const peq = this.peq;
    const stride = this.maxWords;
    const words = this.words;
    const lastBit = (m - 1) & 31;
    let score = m;
    if (words === 1) {
      // Single word: the top row's horizontal delta is always +1, so no carry-in handling is needed.
      let pv = -1;
      let mv = 0;
      for (let j = 0; j < n; j++) {
        const eq = peq[text[j] * stride];
        const xv = eq | mv;
        const xh = (((eq & pv) + pv) ^ pv) | eq;
        let ph = mv | ~(xh | pv);
        let mh = pv & xh;
        score += ((ph >>> lastBit) & 1) - ((mh >>> lastBit) & 1);
        ph = (ph << 1) | 1;
        mh <<= 1;
        pv = mh | ~(xv | ph);
        mv = ph & xv;
      }
      return score;
    }
    const pvs = this.pv;
    const mvs = this.mv;
    pvs.fill(-1, 0, words);
    mvs.fill(0, 0, words);
    for (let j = 0; j < n; j++) {
      const base = text[j] * stride;
      let hin = 1; // D[0][j] = j: the delta entering the first word from above is +1
      for (let w = 0; w < words; w++) {
        let eq = peq[base + w];
        const pv = pvs[w];
        const mv = mvs[w];
        const xv = eq | mv;
        if (hin < 0) eq |= 1; // a −1 entering from above acts like a match in the bottom row's carry chain
        const xh = (((eq & pv) + pv) ^ pv) | eq;
        let ph = mv | ~(xh | pv);
        let mh = pv & xh;
        const bit = w === words - 1 ? lastBit : 31;
        const hout = ((ph >>> bit) & 1) - ((mh >>> bit) & 1);
        ph <<= 1;
        mh <<= 1;
        if (hin < 0) mh |= 1;
        else if (hin > 0) ph |= 1;
        pvs[w] = mh | ~(xv | ph);
        mvs[w] = ph & xv;
        hin = hout;
      }
      score += hin;
    }
    return score;
  }
}

/**
 * Maps the token ids of several sequences onto dense codes 0..k−1 (k distinct ids overall), the form MyersPattern
 * takes.
 */
export function denseCodes(seqs: readonly TokenSequence[]): { codes: Uint16Array[]; alphabetSize: number } {
  const code = new Map<number, number>();
  const codes = seqs.map((seq) =>
    Uint16Array.from(seq, (id) => {
      let c = code.get(id);
      if (c === undefined) code.set(id, (c = code.size));
      return c;
    }),
  );
  return { codes, alphabetSize: Math.max(1, code.size) };
}

export function levenshtein(a: TokenSequence, b: TokenSequence): number {
  // Work is (pattern words) x (text length): pick the pattern that makes it smaller.
  const [pattern, text] = Math.ceil(a.length / 32) * b.length <= Math.ceil(b.length / 32) * a.length ? [a, b] : [b, a];
  const { codes, alphabetSize } = denseCodes([pattern, text]);
  const matcher = new MyersPattern(alphabetSize, pattern.length);
  matcher.set(codes[0]);
  return matcher.distance(codes[1]);
}

/** Distance divided by the longer length: 0 for identical sequences (and for two empty ones), at most 1. */
export function normalizedDistance(a: TokenSequence, b: TokenSequence): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 0 : levenshtein(a, b) / longer;
}
