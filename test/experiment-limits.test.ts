/**
 * Resource bounds (issue 27): a params file that is not one, a sweep too big to build, values that validate but
 * cannot run (each named with its key before any node runs), the generator's count of expressions, and progress
 * from the stages that take minutes at a large n.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadParams, parseParams } from '../experiment/params.ts';
import { countExpressions } from '../logic/count.ts';
import { generateExpressions } from '../logic/generator.ts';
import { expressionTable } from '../stages/dataset.ts';
import evaluate from '../stages/run/eval.ts';
import genD0 from '../stages/run/gen-d0.ts';
import { finished } from './fixtures/engine/harness.ts';
import { MICRO } from './fixtures/micro.ts';
import { stageContext } from './fixtures/stage-context.ts';

const ROOT = resolve(import.meta.dirname, '..');
const shipped = readFileSync(join(ROOT, 'params.yaml'), 'utf8');
const tmp = () => mkdtempSync(join(tmpdir(), 'limits-test-'));

/** The problems of a refused params text, and how long the refusal took. */
// A sweep that were expanded before the check would take minutes and gigabytes: the test would time out, not pass.
function refused(sets: string[], text = shipped): { message: string } {
  try {
    parseParams(text, 'p.yaml', sets);
  } catch (error) {
    return { message: (error as Error).message };
  }
  throw new Error(`accepted: ${sets.join(' ')}`);
}

test('a params file that is not a regular file, or is over 1 MiB, is refused with what it is before it is read', (t) => {
  const dir = tmp();
  const big = join(dir, 'big.yaml');
  // Valid YAML that parses in a moment: only its size is wrong.
  writeFileSync(big, `# ${'x'.repeat(1 << 20)}\n${shipped}`);
  for (const [file, problem] of [
    ['/dev/null', 'not a regular file (a character device); give a YAML file'],
    [dir, 'not a regular file (a directory); give a YAML file'],
    [
      big,
      `the file is ${(1_048_578 + Buffer.byteLength(shipped) + 1).toLocaleString('en-US')} bytes; a params file may be at most 1,048,576 (1 MiB)`,
    ],
  ]) {
    const start = Date.now();
    t.throws(() => loadParams(file), { message: `invalid params in ${file}:\n  - ${problem}` });
    t.true(Date.now() - start < 1_000, `${file}: refused in ${Date.now() - start} ms`);
  }
});

// Not run against the code before the check: there it reads /dev/zero without end (12 GB in the issue).
test('-p /dev/zero is refused at once', (t) => {
  t.throws(() => loadParams('/dev/zero'), {
    message: 'invalid params in /dev/zero:\n  - not a regular file (a character device); give a YAML file',
  });
});

test('a sweep too big to build is refused before it is expanded, naming the keys that make it big', (t) => {
  const deep = refused(['generations=1000000']);
  t.regex(
    deep.message,
    /the experiment expands to up to 16,000,004 nodes \(4 chains\), more than the limit of 50,000: generations = 1,000,000 \(4,000,001 nodes a chain\), sweep\.cycle\.name has 4 values/,
  );
  const seeds = Array.from({ length: 20_000 }, (_, i) => i);
  const wide = refused([`sweep.seed=[${seeds.join(',')}]`]);
  t.regex(
    wide.message,
    /up to 2,000,000 nodes \(80,000 chains\), more than the limit of 50,000: generations = 6 \(25 nodes a chain\), sweep\.cycle\.name has 4 values, sweep\.seed has 20,000 values/,
  );
  const blocks = refused(
    [],
    shipped.replace(/^sweep:[\s\S]*$/m, `sweep:\n  - { cycle.name: [balanced] }\n  - { seed: [${seeds.join(',')}] }\n`),
  );
  t.regex(
    blocks.message,
    /\(20,001 chains\), more than the limit of 50,000: generations = 6 \(25 nodes a chain\), sweep\[1\]\.seed has 20,000 values/,
  );
  t.notThrows(
    () => parseParams(shipped, 'p.yaml', ['generations=2000', 'eval.data_diversity_pairs=1000000']),
    '4 chains of 8,001 nodes are within the limit',
  );
});

test("all pairs of D_t are bounded by the point's own cycle: only a cycle that grows D_t makes n × generations rows", (t) => {
  const long = ['generations=50', 'data.n=1000', 'eval.data_diversity_pairs=0'];
  t.notThrows(() => parseParams(shipped, 'p.yaml', [...long, 'sweep.cycle.name=[full_synthetic, balanced]']));
  const error = t.throws(() =>
    parseParams(shipped, 'p.yaml', [...long, 'sweep.cycle.name=[full_synthetic, expanding]']),
  );
  t.regex(
    error.message,
    /eval\.data_diversity_pairs = 0 computes all 1,249,975,000 pairs of the largest D_t's 50,000 rows \(data\.n × generations: the expanding cycle grows D_t\)/,
  );
  t.notRegex(error.message, /full_synthetic/);
});

test('values that validate but cannot run are refused naming the key, the value and the limit', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['data.n=48', 'eval.diversity_pairs=1e12'],
      /eval\.diversity_pairs = 1,000,000,000,000 is more than the 1,128 pairs of S_t's 48 rows \(data\.n\); 0 computes them all exactly/,
    ],
    [
      ['data.n=48', 'eval.data_diversity_pairs=41329'],
      /eval\.data_diversity_pairs = 41,329 is more than the 41,328 pairs of the largest D_t's 288 rows \(data\.n × generations\)/,
    ],
    [
      ['data.n=10000000', 'eval.data_diversity_pairs=1000'],
      /eval\.diversity_pairs = 0 computes all 49,999,995,000,000 pairs of S_t's 10,000,000 rows \(data\.n\), more than the limit of 1,000,000,000; give a number of pairs/,
    ],
    [
      ['data.n=100000', 'eval.diversity_pairs=2e9'],
      /eval\.diversity_pairs = 2,000,000,000 is more than the limit of 1,000,000,000 pairs/,
    ],
    [
      ['model.width=100000'],
      /model\.layers = 2, model\.width = 100000, model\.block_size = 64 make a GPT of 240,010,000,000 parameters, more than the 4,294,967,296 one typed array holds/,
    ],
    [
      ['model.block_size=1000000'],
      /model\.block_size = 1,000,000: its causal mask of 1,000,000,000,000 floats is more than the 4,294,967,296 one typed array holds/,
    ],
    [
      ['model.layers=6', 'model.width=2048', 'runtime.backend=wasm'],
      /model\.layers = 6, model\.width = 2048, .*training needs about 6\.0 GiB .*more than the wasm backend's 4\.0 GiB heap \(runtime\.backend = wasm; another backend lifts this limit\)/,
    ],
    [['task.depth_max=50'], /task\.depth_max: 50 is more than the generator's 20/],
    [
      ['task.depth_max=2', 'data.n=20', 'sweep.cycle.name=[balanced]', 'eval.perplexity=false'],
      /data\.n = 20 needs 20 distinct True expressions, but only 19 exist at depth 1 to 2; lower data\.n or raise task\.depth_max/,
    ],
    [
      ['task.depth_max=3', 'data.n=3000', 'sweep.cycle.name=[balanced]'],
      /data\.n = 3,000 needs 4,000 distinct True expressions \(n, then 1,000 held-out ones for the perplexity, eval\.heldout_rows\), but only 3,863 exist at depth 1 to 3; lower data\.n or eval\.heldout_rows or raise task\.depth_max/,
    ],
    [
      ['task.depth_max=3', 'data.n=2000', 'sweep.cycle.name=[expanding]'],
      /data\.n = 2,000 needs 8,000 distinct True expressions \(n, then 1,000 fresh ones in each of 5 generations of the expanding cycle, and 1,000 held-out ones for the perplexity, eval\.heldout_rows\), but only 3,863 exist/,
    ],
    [
      [
        'task.depth_max=2',
        'data.n=10',
        'cycle.fresh_every=2',
        'sweep.cycle.name=[full_synthetic]',
        'eval.perplexity=false',
      ],
      /data\.n = 10 needs 20 distinct True expressions \(n, then 5 injected into each of 2 datasets by cycle\.fresh_every = 2\), but only 19 exist/,
    ],
    [
      ['task.depth_max=2', 'data.n=40', 'data.distinct=20', 'sweep.cycle.name=[balanced]', 'eval.perplexity=false'],
      /data\.distinct = 20 needs 20 distinct True expressions, but only 19 exist at depth 1 to 2; lower data\.distinct or raise/,
    ],
    [
      ['train.steps=1e12'],
      /train\.steps = 1,000,000,000,000 \(with train\.batch_size = 32, .*\): one training would take about 605 years on the measured 2-core CPU, more than the limit of 100/,
    ],
  ];
  for (const [sets, problem] of cases) {
    const { message } = refused(sets);
    t.regex(message, problem, sets.join(' '));
  }
  // The limits themselves are allowed.
  for (const sets of [
    ['data.n=48', 'eval.diversity_pairs=1128', 'eval.data_diversity_pairs=41328'],
    ['task.depth_max=2', 'data.n=19', 'sweep.cycle.name=[balanced]', 'eval.perplexity=false'],
    [
      'task.depth_max=2',
      'data.n=10',
      'cycle.fresh_every=3',
      'sweep.cycle.name=[full_synthetic]',
      'eval.perplexity=false',
    ],
    ['task.depth_max=2', 'data.n=40', 'data.distinct=19', 'sweep.cycle.name=[balanced]', 'eval.perplexity=false'],
    ['task.depth_max=3', 'data.n=2863', 'sweep.cycle.name=[balanced]'],
    ['model.layers=6', 'model.width=2048', 'runtime.backend=webgpu'],
  ])
    t.notThrows(() => parseParams(shipped, 'p.yaml', sets), sets.join(' '));
});

test('an unrunnable value is refused by repro before any node runs, naming the key, with no stack trace', async (t) => {
  const dir = tmp();
  const store = join(dir, 'store');
  // A copy: a repro writes its lock beside the params file.
  const params = join(dir, 'params.yaml');
  writeFileSync(params, shipped);
  const args = [
    '--import',
    import.meta.resolve('tsx'),
    join(ROOT, 'pipeline.ts'),
    'repro',
    '-p',
    params,
    '--store',
    store,
    ...[...MICRO, 'task.depth_max=50'].flatMap((s) => ['--set', s]),
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const result = await finished(child);
  clearTimeout(timer);
  t.is(result.code, 1, result.stdout + result.stderr);
  t.false(result.stderr.includes('    at '), result.stderr);
  t.true(
    result.stderr.startsWith(
      `error: invalid params in ${params}:\n  - task.depth_max: 50 is more than the generator's 20`,
    ),
    result.stderr,
  );
  t.false(existsSync(join(store, 'runs')) && readdirSync(join(store, 'runs')).length > 0, 'no node ran');
});

test("the generator's count of expressions is exact where every expression can be drawn (depth 1 to 2)", (t) => {
  // By hand: True; not False, not ( False ); True and True with 4 wrappings; 3 true `or`s with 4 each.
  t.is(countExpressions(1, 2, true), 19);
  t.is(countExpressions(2, 2, true), 18);
  t.is(countExpressions(1, 1, true), 1);
  const draw = (n: number, trueOnly: boolean) =>
    generateExpressions({ n, seed: 3, dMin: 1, dMax: 2, trueOnly, unique: true, maxAttempts: 200_000 });
  t.is(draw(19, true).length, 19);
  t.throws(() => draw(20, true), { message: /found only 19 of 20/ });
  const all = countExpressions(1, 2, true) + countExpressions(1, 2, false);
  t.is(draw(all, false).length, all);
  t.throws(() => draw(all + 1, false), { message: new RegExp(`found only ${all} of ${all + 1}`) });
  // Deeper, the counts overflow a double to Infinity (never NaN) and only grow.
  const counts = Array.from({ length: 20 }, (_, d) => countExpressions(1, d + 1, true));
  t.true(counts.every((c, i) => !Number.isNaN(c) && (i === 0 || c >= counts[i - 1])));
  t.is(counts[19], Infinity);
});

test('gen-d0 and eval report progress as they go, not only at the end', async (t) => {
  const reports: Array<[number, number, string | undefined]> = [];
  const progress = (done: number, total: number, note?: string) => void reports.push([done, total, note]);
  const n = 20_000;
  const { dataset } = await genD0.run(stageContext({ n, depth_min: 1, depth_max: 5 }, {}, { progress }));
  const during = reports.filter(([done, total, note]) => note === 'examples' && total === n && done < n);
  t.true(during.length >= 3, `${during.length} reports before the end`);
  t.true(
    during.every(([done], i) => i === 0 || done >= during[i - 1][0]),
    'counts only grow',
  );

  reports.length = 0;
  const rows = generateExpressions({ n: 3_000, seed: 5, dMin: 1, dMax: 5, trueOnly: true, unique: true }).map(
    (expression) => ({ expression, origin: 'real' as const, generation: 0 }),
  );
  const samples = expressionTable(rows);
  await evaluate.run(
    stageContext(
      { diversity_pairs: 0, data_diversity_pairs: 100_000, generation: 0 },
      { samples, dataset: samples },
      { progress },
    ),
  );
  const pairs = (3_000 * 2_999) / 2;
  t.true(
    reports.filter(([done, total, note]) => note === 'S_t pairs' && total === pairs && done < pairs).length > 100,
    'exact: a report per row',
  );
  t.true(
    reports.filter(([done, total, note]) => note === 'D_t pairs' && total === 100_000 && done < 100_000).length >= 2,
    'sampled: a report every 65,536 pairs',
  );
  t.is(dataset.numRows, n);
});
