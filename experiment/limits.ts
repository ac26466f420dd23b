/**
 * What an experiment may ask for, checked before anything runs: each value whose cost is known in advance is
 * refused with its key, its value and the limit, instead of failing (or running for years) when its node runs.
 * docs/LIMITS.md lists the limits and why each is where it is.
 */
import { statSync } from 'node:fs';
import { countParameters, gptConfig } from '../model/config.ts';
import { knownVocabularySize, readTask, taskSlice } from '../tasks/registry.ts';
import { CYCLE_TABLE, freshInjection } from '../stages/build-dataset.ts';
import { CPU_TRAINING_FLOPS, trainingFlops } from './estimate.ts';
import type { ExperimentParams, ParamsFile } from './params.ts';

/** A params file is a page of YAML (the paper's is 3 KB); a bigger one is a mistake, or /dev/zero. */
const MAX_PARAMS_BYTES = 1 << 20;
/** A plan of this many nodes takes seconds to build and check; the 50-generation preset has about 1,000. */
const MAX_PLAN_NODES = 50_000;
/** Levenshtein distances one eval may compute: about 50 s at the 50M pairs in 2.4 s that the paper preset measured. */
const MAX_DIVERSITY_PAIRS = 1e9;
/** The WebAssembly backend's heap (32-bit wasm addresses 4 GiB). */
const WASM_HEAP_BYTES = 2 ** 32;
/** V8's largest typed array, in elements: model/ holds all parameters in one, and a block's causal mask in another. */
const MAX_TYPED_ARRAY = 2 ** 32;
/** One training longer than this at the measured 2-core CPU rate is months even on a GPU a hundred times faster. */
const MAX_TRAINING_YEARS = 100;

/** The params file's size, checked before it is read: a device, a FIFO or a huge file is refused with what it is. */
export function paramsFileProblem(file: string): string | undefined {
  const stat = statSync(file);
  if (!stat.isFile())
    return `not a regular file (${stat.isDirectory() ? 'a directory' : stat.isCharacterDevice() ? 'a character device' : stat.isFIFO() ? 'a FIFO' : 'not a file'}); give a YAML file`;
  if (stat.size > MAX_PARAMS_BYTES)
    return `the file is ${count(stat.size)} bytes; a params file may be at most ${count(MAX_PARAMS_BYTES)} (1 MiB)`;
  return undefined;
}

/**
 * The number of nodes the sweep can expand to, from the lengths of its lists alone (expanding it to count would
 * be the cost this check prevents): every chain is 1 + 3G nodes (2 + 3G with gen-heldout) plus one or two per later
 * generation.
 */
export function planSizeProblem(params: ParamsFile, blocks: Array<Record<string, unknown[]>>): string | undefined {
  const swept = (key: string) => blocks.flatMap((block) => block[key] ?? []);
  const generations = Math.max(
    params.generations,
    ...swept('generations').filter((g): g is number => typeof g === 'number'),
  );
  const curated = params.curation.mode !== 'none' || swept('curation.mode').some((mode) => mode !== 'none');
  // gen-heldout, where any chain measures the perplexities.
  const heldout = params.eval.perplexity || swept('eval.perplexity').includes(true) ? 1 : 0;
  const perChain = 1 + heldout + 3 * generations + (generations - 1) * (curated ? 2 : 1);
  const chains = blocks.reduce(
    (sum, block) => sum + Object.values(block).reduce((product, values) => product * values.length, 1),
    0,
  );
  if (chains * perChain <= MAX_PLAN_NODES) return undefined;
  const keys = [`generations = ${count(generations)} (${count(perChain)} nodes a chain)`];
  for (const [i, block] of blocks.entries()) {
    for (const [key, values] of Object.entries(block))
      if (values.length > 1)
        keys.push(`${blocks.length > 1 ? `sweep[${i}]` : 'sweep'}.${key} has ${count(values.length)} values`);
  }
  return `the experiment expands to up to ${count(chains * perChain)} nodes (${count(chains)} chains), more than the limit of ${count(MAX_PLAN_NODES)}: ${keys.join(', ')}`;
}

/** The values of one concrete experiment that cannot run, each named with its key, value and limit. */
export function costProblems(p: ExperimentParams): string[] {
  return [...dataProblems(p), ...blockProblems(p), ...diversityProblems(p), ...modelProblems(p)];
}

/** A block that cannot hold the task's longest real example and the end token (Task.longestExample), where the options tell it. */
function blockProblems(p: ExperimentParams): string[] {
  const { task, options } = readTask(p.task);
  const longest = task.longestExample?.(options);
  if (longest === undefined || longest + 1 <= p.model.block_size) return [];
  return [
    `model.block_size = ${count(p.model.block_size)} cannot hold the longest real example of task '${task.name}' (${count(longest)} tokens) and the end token; raise model.block_size to ${count(longest + 1)}`,
  ];
}

/** More distinct real rows than the task's options allow (Task.supply), where they are few enough to run out. */
function dataProblems(p: ExperimentParams): string[] {
  const { n, distinct = n } = p.data;
  const { task, options } = readTask(p.task);
  const supply = task.supply?.(options);
  if (!supply) return [];
  // D_0 takes data.distinct rows where it is less than n.
  const [key, real] = distinct < n ? ['data.distinct', distinct] : ['data.n', n];
  // The expanding cycle draws n − round(λn) fresh rows (build-dataset's generatedCount) each generation, none in an
  // earlier dataset; cycle.fresh_every = k adds round(fresh_share·n) to every k-th dataset (at most).
  const later = p.generations - 1;
  const expanding = p.cycle.name === 'expanding' ? (n - Math.round(p.cycle.lambda * n)) * later : 0;
  // Of D_1 … D_{G−1}, those build-dataset injects into.
  let injections = 0;
  for (let t = 1; t <= later; t++) if (freshInjection(p.cycle.fresh_every, t)) injections++;
  const injected = injections * Math.round(p.cycle.fresh_share * n);
  // The held-out rows of the perplexity (stages/gen-heldout.ts) are in no dataset.
  const heldout = p.eval.perplexity ? p.eval.heldout_rows : 0;
  const more = expanding + injected + heldout;
  if (real + more <= supply.count) return [];
  const parts = [
    ...(expanding
      ? [`${count(expanding / later)} fresh ones in each of ${later} generations of the expanding cycle`]
      : []),
    ...(injected
      ? [
          `${count(injected / injections)} injected into each of ${injections} datasets by cycle.fresh_every = ${p.cycle.fresh_every}`,
        ]
      : []),
    ...(heldout ? [`${count(heldout)} held-out ones for the perplexity, eval.heldout_rows`] : []),
  ];
  const need = parts.length
    ? `${count(real + more)} ${supply.noun} (${key === 'data.n' ? 'n' : key}, then ${parts.join(', and ')})`
    : `${count(real)} ${supply.noun}`;
  return [
    `${key} = ${count(real)} needs ${need}, but only ${count(supply.count)} exist ${supply.where}; lower ${key}${heldout ? ' or eval.heldout_rows' : ''} or ${supply.remedy}`,
  ];
}

/**
 * The Levenshtein pairs each eval computes: of S_t (n rows), and of D_t. All pairs (0) are bounded by the point's
 * own largest D_t: n·generations rows for a cycle that grows D_t, n otherwise. A number of pairs to estimate from is
 * one eval key for every cycle of a sweep, so it is bounded by the largest D_t any cycle builds (n·generations; the
 * others compare more pairs than they have, which costs no more than the number asked for).
 */
function diversityProblems(p: ExperimentParams): string[] {
  const { n } = p.data;
  const sweepRows = n * p.generations;
  const grows = CYCLE_TABLE[p.cycle.name].grows;
  const ownRows = grows ? sweepRows : n;
  const sets = [
    {
      key: 'eval.diversity_pairs',
      value: p.eval.diversity_pairs,
      rows: n,
      exactRows: n,
      what: `S_t's ${count(n)} rows (data.n)`,
      exactWhat: `S_t's ${count(n)} rows (data.n)`,
    },
    {
      key: 'eval.data_diversity_pairs',
      value: p.eval.data_diversity_pairs,
      rows: sweepRows,
      exactRows: ownRows,
      what: `the largest D_t's ${count(sweepRows)} rows (data.n × generations)`,
      exactWhat: `the largest D_t's ${count(ownRows)} rows (${grows ? 'data.n × generations' : 'data.n'}: the ${p.cycle.name} cycle ${grows ? 'grows D_t' : 'keeps D_t at n rows'})`,
    },
  ];
  const problems: string[] = [];
  for (const { key, value, rows, exactRows, what, exactWhat } of sets) {
    const pairs = (rows * (rows - 1)) / 2;
    const exactPairs = (exactRows * (exactRows - 1)) / 2;
    if (value === 0 && exactPairs > MAX_DIVERSITY_PAIRS) {
      problems.push(
        `${key} = 0 computes all ${count(exactPairs)} pairs of ${exactWhat}, more than the limit of ${count(MAX_DIVERSITY_PAIRS)}; give a number of pairs to estimate from (e.g. 1000000)`,
      );
    } else if (value > pairs) {
      problems.push(
        `${key} = ${count(value)} is more than the ${count(pairs)} pairs of ${what}; 0 computes them all exactly`,
      );
    } else if (value > MAX_DIVERSITY_PAIRS) {
      problems.push(`${key} = ${count(value)} is more than the limit of ${count(MAX_DIVERSITY_PAIRS)} pairs`);
    }
  }
  return problems;
}

/**
 * A model that cannot be held, or trained in any sane time. Training holds the parameters, their gradients and
 * Adam's two moments (16 bytes a parameter) and, per layer of a micro-batch, the attention scores and
 * probabilities (2·B·H·T² floats) and about 16 floats per token and width unit (projections, MLP, norms).
 */
function modelProblems(p: ExperimentParams): string[] {
  const { layers: L, heads: H, width: C, block_size: T } = p.model;
  const B = p.train.micro_batch;
  // A task whose vocabulary only its data tell (a corpus) is counted without the embedding's rows.
  const vocabulary = knownVocabularySize(taskSlice(p.task));
  const parameters = countParameters(gptConfig(p.model, vocabulary));
  const shape = `model.layers = ${L}, model.width = ${C}, model.block_size = ${T}`;
  const problems: string[] = [];
  if (parameters > MAX_TYPED_ARRAY) {
    problems.push(
      `${shape} make a GPT of ${count(parameters)} parameters, more than the ${count(MAX_TYPED_ARRAY)} one typed array holds`,
    );
  }
  if (T * T > MAX_TYPED_ARRAY) {
    problems.push(
      `model.block_size = ${count(T)}: its causal mask of ${count(T * T)} floats is more than the ${count(MAX_TYPED_ARRAY)} one typed array holds`,
    );
  }
  if (problems.length) return problems;
  const bytes = {
    parameters: 16 * parameters,
    attention: 4 * L * 2 * B * H * T * T,
    activations: 4 * (L * 16 * B * T * C + 2 * B * T * vocabulary),
  };
  const total = bytes.parameters + bytes.attention + bytes.activations;
  if ((p.runtime.backend === 'wasm' || p.runtime.backend === 'auto') && total > WASM_HEAP_BYTES) {
    problems.push(
      `${shape}, model.heads = ${H}, train.micro_batch = ${B}: training needs about ${gib(total)} (parameters with gradients and Adam moments ${gib(bytes.parameters)}, attention ${gib(bytes.attention)}, other activations ${gib(bytes.activations)}), more than the wasm backend's ${gib(WASM_HEAP_BYTES)} heap (runtime.backend = ${p.runtime.backend}; another backend lifts this limit)`,
    );
  }
  const years = trainingFlops(p.model, p.train, vocabulary).flops / CPU_TRAINING_FLOPS / (365 * 86_400);
  if (years > MAX_TRAINING_YEARS) {
    problems.push(
      `train.steps = ${count(p.train.steps)} (with train.batch_size = ${p.train.batch_size}, ${shape}): one training would take about ${count(Math.round(years))} years on the measured 2-core CPU, more than the limit of ${MAX_TRAINING_YEARS}`,
    );
  }
  return problems;
}

function count(value: number): string {
  return value < 1e15 ? Math.round(value).toLocaleString('en-US') : value.toExponential(2);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
}
