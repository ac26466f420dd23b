/**
 * Benchmark of the language metrics: `npx tsx bench/metrics.ts`.
 * Exact all-pairs diversity of 10,000 unique True expressions (depth 1-5) with the bit-parallel implementation,
 * against the textbook DP on the same pairs; the DP is timed on a random sample of pairs and extrapolated when a
 * full run would take more than a minute.
 */
import { Rng } from '../common/rng.ts';
import { generateExpressions } from '../logic/generator.ts';
import { tokenIds } from '../logic/tokenize.ts';
import { levenshteinDiversity } from '../metrics/diversity.ts';
import { levenshteinDP, type TokenSequence } from '../metrics/levenshtein.ts';

const N = 10_000;
const DP_SAMPLE_PAIRS = 200_000;
const FULL_DP_LIMIT_S = 60;

function seconds<T>(run: () => T): [T, number] {
  const start = performance.now();
  const result = run();
  return [result, (performance.now() - start) / 1000];
}

/** The straightforward way: DP distance of each listed pair, normalized, summed. */
function dpSum(seqs: readonly TokenSequence[], pairs: Iterable<[number, number]>): number {
  let sum = 0;
  for (const [i, j] of pairs) {
    const longer = Math.max(seqs[i].length, seqs[j].length);
    sum += longer === 0 ? 0 : levenshteinDP(seqs[i], seqs[j]) / longer;
  }
  return sum;
}

function* randomPairs(n: number, count: number, seed: number): Generator<[number, number]> {
  const rng = new Rng(seed);
  for (let k = 0; k < count; k++) {
    const i = rng.int(n);
    const j = (i + 1 + rng.int(n - 1)) % n;
    yield [i, j];
  }
}

function* allPairs(n: number): Generator<[number, number]> {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) yield [i, j];
}

const [lines, genSeconds] = seconds(() => generateExpressions({ n: N, seed: 1, trueOnly: true, unique: true }));
const seqs = lines.map(tokenIds);
const totalPairs = (N * (N - 1)) / 2;
const meanLength = seqs.reduce((s, x) => s + x.length, 0) / N;

const [fast, fastSeconds] = seconds(() => levenshteinDiversity(seqs));
const [sampleSum, sampleSeconds] = seconds(() => dpSum(seqs, randomPairs(N, DP_SAMPLE_PAIRS, 2)));
let dpSeconds = (sampleSeconds / DP_SAMPLE_PAIRS) * totalPairs;
let dpValue = sampleSum / DP_SAMPLE_PAIRS;
const extrapolated = dpSeconds > FULL_DP_LIMIT_S;
if (!extrapolated) [dpValue, dpSeconds] = seconds(() => dpSum(seqs, allPairs(N)) / totalPairs);

// A collapsed set (the late generations of a self-consuming loop): 10,000 lines, 50 distinct.
const collapsed = Array.from({ length: N }, (_, k) => seqs[k % 50]);
const [, collapsedSeconds] = seconds(() => levenshteinDiversity(collapsed));

const rows: [string, string][] = [
  [
    'set',
    `${N} unique True expressions, depth 1-5, mean ${meanLength.toFixed(1)} tokens, ${totalPairs.toLocaleString('en')} pairs`,
  ],
  ['generate (10,000 unique True)', `${genSeconds.toFixed(3)} s`],
  ['diversity, bit-parallel, exact', `${fastSeconds.toFixed(2)} s  (diversity ${fast.toFixed(4)})`],
  [
    extrapolated ? 'diversity, plain DP (extrapolated)' : 'diversity, plain DP, exact',
    extrapolated
      ? `${dpSeconds.toFixed(1)} s  (from ${DP_SAMPLE_PAIRS.toLocaleString('en')} random pairs in ${sampleSeconds.toFixed(2)} s; sample mean ${dpValue.toFixed(4)})`
      : `${dpSeconds.toFixed(1)} s  (diversity ${dpValue.toFixed(4)})`,
  ],
  ['speed-up', `${(dpSeconds / fastSeconds).toFixed(1)}x`],
  ['diversity, collapsed set (50 distinct)', `${(collapsedSeconds * 1000).toFixed(1)} ms`],
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n'));
if (extrapolated)
  console.log(`(a full DP run would take over ${FULL_DP_LIMIT_S} s, so its time is extrapolated from the sample)`);
