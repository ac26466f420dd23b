import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { evalPoints } from '../experiment/eval-points.ts';
import { reportCharts, seriesOf, statsOf } from '../experiment/report-charts.ts';
import { finalTable, writeReport } from '../experiment/report.ts';
import { seedStat } from '../experiment/seeds.ts';
import { loadTrainingCurves, parseChain } from '../experiment/train-curves.ts';
import { Store } from '../engine/store/store.ts';
import { Float64, makeVector, Table, vectorFromArray } from 'apache-arrow';
import { changeLock } from './fixtures/compare/change-lock.ts';
import { makeLock, recordedParams, SWEEP_CHART_NAMES } from './fixtures/compare/locks.ts';

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'report-'));
  dirs.push(dir);
  return dir;
};
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('series: one per cycle and λ, in paper order, each with its own colour', (t) => {
  const series = seriesOf(evalPoints(makeLock({ lambdas: [0.9, 0.25] })));
  t.deepEqual(
    series.map((s) => s.label),
    ['full_synthetic', 'balanced', 'incremental λ=0.25', 'incremental λ=0.9', 'expanding λ=0.25', 'expanding λ=0.9'],
  );
  t.is(new Set(series.map((s) => s.color)).size, series.length);
});

test('stats: mean and 95% t-interval over seeds per series and generation; one seed has none', (t) => {
  const lock = makeLock({ cycles: ['balanced'], seeds: [1, 2, 3], generations: 2 });
  const values = (gen: number) =>
    Object.values(lock.nodes)
      .filter((n) => n.stage === 'eval' && n.tags.generation === gen)
      .map((n) => n.metrics['samples.diversity'] as number);
  const stats = statsOf(evalPoints(lock), 'samples.diversity');
  t.is(stats.length, 2);
  const [first] = stats;
  const { mean, ci95 } = seedStat(values(0));
  t.like(first, { series: 'balanced', generation: 0, seeds: 3, mean, low: ci95!.low, high: ci95!.high });
  const [single] = statsOf(evalPoints(makeLock({ cycles: ['balanced'], generations: 1 })), 'samples.diversity');
  t.is(single!.low, single!.mean);
  t.is(single!.high, single!.mean);
});

test('a chart without data is left out with the reason', (t) => {
  const charts = reportCharts(evalPoints(makeLock({ cycles: ['full_synthetic', 'balanced'] })));
  t.deepEqual(
    charts.map((c) => [c.name, Boolean(c.spec)]),
    [
      ['correctness', true],
      ['diversity', true],
      ['diversity-lambda', false],
      ['unique', true],
    ],
  );
  t.regex(charts[2]!.omitted!, /no λ-dependent cycle/);
  t.true(reportCharts([]).every((c) => c.omitted));
});

test('final table: last generation per series, spread over seeds, gaps named as not run', (t) => {
  const lock = makeLock({
    cycles: ['balanced', 'incremental'],
    seeds: [1, 2],
    generations: 3,
    skip: (p) => p.cycle === 'incremental' && p.seed === 2 && p.generation === 1,
  });
  const { header, rows } = finalTable(evalPoints(lock));
  t.deepEqual(header, [
    'series',
    'generation',
    'seeds',
    'semantic',
    'syntactic',
    'diversity',
    'unique',
    'copied',
    'not run',
  ]);
  t.deepEqual(
    rows.map((r) => r.slice(0, 3)),
    [
      ['balanced', '2', '2'],
      ['incremental λ=0.5', '2', '2'],
    ],
  );
  t.regex(rows[0]![3]!, /^0\.\d{4} \(0\.\d{4}–0\.\d{4}\)$/);
  const own = evalPoints(lock)
    .filter((p) => p.place.cycle === 'balanced' && p.place.generation === 2)
    .map((p) => p.metrics['samples.semantic'] as number);
  const { mean, ci95 } = seedStat(own);
  t.is(rows[0]![3], `${mean.toFixed(4)} (${ci95!.low.toFixed(4)}–${ci95!.high.toFixed(4)})`);
  t.deepEqual(
    rows.map((r) => r.at(-1)),
    ['', 'seed 2 gen 1'],
  );
  t.false(
    finalTable(evalPoints(makeLock({ cycles: ['balanced'] }))).header.includes('not run'),
    'no empty not-run column',
  );
});

test('writeReport writes SVG, PNG and a self-contained report.html', async (t) => {
  const outDir = tmp();
  const params = recordedParams(['generations=5', 'sweep.cycle.lambda=[0.25,0.75]', 'sweep.seed=[1,2]']);
  const lock = makeLock({ lambdas: [0.25, 0.75], seeds: [1, 2], generations: 5, params });
  const { files, omitted } = await writeReport({
    lock,
    label: 'test.lock',
    outDir,
    title: 'Test run',
    date: new Date('2026-01-02T03:04:05Z'),
  });
  t.deepEqual(
    files,
    [...SWEEP_CHART_NAMES.flatMap((n) => [`${n}.svg`, `${n}.png`]), 'report.html'].map((f) => path.join(outDir, f)),
  );
  t.deepEqual(omitted, []);

  for (const name of SWEEP_CHART_NAMES) {
    const png = readFileSync(path.join(outDir, `${name}.png`));
    t.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, name);
    t.true(png.length > 20_000, `${name}.png is ${png.length} bytes`);
  }
  const diversity = readFileSync(path.join(outDir, 'diversity.svg'), 'utf8');
  for (const series of ['full_synthetic', 'balanced', 'incremental λ=0.25', 'incremental λ=0.75', 'expanding λ=0.75']) {
    t.true(diversity.includes(`>${series}</text>`), series);
  }
  t.regex(readFileSync(path.join(outDir, 'diversity-lambda.svg'), 'utf8'), />λ=0\.25<\/text>[\s\S]*>λ=0\.75<\/text>/);
  t.regex(
    readFileSync(path.join(outDir, 'correctness.svg'), 'utf8'),
    />Semantic: share of S_t that is True<\/text>[\s\S]*>Syntactic: share of S_t that parses<\/text>/,
  );

  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  // Nothing to fetch: the only URLs are the SVG namespaces.
  t.deepEqual(
    html
      .replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')
      .match(/https?:\/\/|<script|<link|\bsrc=|@import|url\(\s*['"]?(?!#)/g),
    null,
  );
  t.is(html.match(/<svg /g)?.length, 7);
  t.true(html.includes('<h1>Test run</h1>'));
  t.true(html.includes('2026-01-02T03:04:05.000Z'));
  t.true(html.includes('Backend: wasm (60 trainings)'));
  // The params the lock records: its overrides, a row per chain with its swept keys, the resolved params.
  t.true(
    html.includes(
      'made from params.yaml, overrides: <code>--set generations=5 --set sweep.cycle.lambda=[0.25,0.75] --set sweep.seed=[1,2]</code>',
    ),
  );
  t.true(
    html.includes(
      '<td>cycle=incremental/lambda=0.25/seed=2</td><td>cycle.name=&quot;incremental&quot;, cycle.lambda=0.25, seed=2</td>',
    ),
  );
  t.regex(html, /\ngenerations: 5\n/);
  t.regex(html, /sweep:\n  cycle.name:\n    - full_synthetic\n/);
  t.regex(html, /<td>expanding λ=0\.75<\/td><td>4<\/td><td>2<\/td>/);
});

test('the perplexities: one chart of two panels where the lock records them, and columns of the final table', async (t) => {
  const outDir = tmp();
  const lock = makeLock({ lambdas: [0.25, 0.75], seeds: [1, 2], generations: 5, perplexity: true });
  const { files } = await writeReport({ lock, label: 'test.lock', outDir });
  t.true(files.includes(path.join(outDir, 'perplexity.png')));
  const svg = readFileSync(path.join(outDir, 'perplexity.svg'), 'utf8');
  t.regex(svg, />Held-out real rows under M_t<\/text>[\s\S]*>S_t under M_0<\/text>/);
  for (const series of ['full_synthetic', 'expanding λ=0.75']) t.true(svg.includes(`>${series}</text>`), series);
  t.deepEqual(finalTable(evalPoints(lock)).header.slice(-2), ['heldout.perplexity', 'perplexity_m0']);
  t.false(
    reportCharts(evalPoints(makeLock())).some((c) => c.name === 'perplexity'),
    'no chart, and no omission, for a lock without them',
  );
});

test('writeReport leaves out a chart without data and says so in the HTML', async (t) => {
  const outDir = tmp();
  const { files, omitted } = await writeReport({
    lock: makeLock({ cycles: ['full_synthetic'], generations: 2 }),
    label: 'test.lock',
    outDir,
  });
  t.deepEqual(
    omitted.map((o) => o.name),
    ['diversity-lambda'],
  );
  t.false(existsSync(path.join(outDir, 'diversity-lambda.svg')));
  t.is(files.length, 7);
  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  t.regex(html, /Not drawn: no λ-dependent cycle/);
  t.true(html.includes('test.lock records no params: it is a version 1 lock, written before locks recorded them'));
  t.is(html.match(/<svg /g)?.length, 3);
});

test('change charts: drawn when a series has two or more seeds, a dot per series at its mean Δ; not for one seed', async (t) => {
  const outDir = tmp();
  const { files } = await writeReport({ lock: changeLock(), label: 'test.lock', outDir });
  const changes = files.map((f) => path.basename(f)).filter((f) => f.startsWith('change-'));
  t.deepEqual(changes, [
    'change-semantic.svg',
    'change-semantic.png',
    'change-syntactic.svg',
    'change-syntactic.png',
    'change-diversity.svg',
    'change-diversity.png',
  ]);
  const svg = readFileSync(path.join(outDir, 'change-semantic.svg'), 'utf8');
  t.regex(svg, />Change of semantic, generation 0 → 2, full_synthetic<\/text>/);
  t.regex(svg, />sample\.temperature=0\.6<\/text>[\s\S]*>sample\.temperature=0\.8<\/text>/);
  t.regex(svg, />Δ semantic \(last − first\)<\/text>/);
  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  t.regex(html, /<h2>Change of semantic from the first to the last generation<\/h2>/);

  const oneSeed = tmp();
  const single = await writeReport({ lock: changeLock((_t, seed) => seed > 1), label: 'test.lock', outDir: oneSeed });
  t.false(
    single.files.some((f) => path.basename(f).startsWith('change-')),
    'one seed per series: no change chart',
  );
  t.false(
    single.omitted.some((o) => o.name.startsWith('change-')),
    'nor a note about it',
  );
});

test("a change chart's data: the mean Δ over seeds and its t-interval, the mean alone for a series of one seed", (t) => {
  const lock = changeLock((temperature, seed) => temperature === 0.8 && seed > 1);
  const chart = reportCharts(evalPoints(lock)).find((c) => c.name === 'change-semantic')!;
  const values = (chart.spec as unknown as { data: { values: Array<Record<string, number | string>> } }).data.values;
  const half = (4.302653 * 0.1) / Math.sqrt(3);
  t.is(values.length, 2);
  t.like(values[0], { series: 'full_synthetic sample.temperature=0.6', label: 'sample.temperature=0.6', seeds: 3 });
  t.true(Math.abs((values[0]!.mean as number) - 0.2) < 1e-9);
  t.true(Math.abs((values[0]!.low as number) - (0.2 - half)) < 1e-6);
  t.like(values[1], { label: 'sample.temperature=0.8', seeds: 1 });
  t.is(values[1]!.low, values[1]!.mean);
  t.is(values[1]!.high, values[1]!.mean);
});

test('training curves: the validation loss of each generation of a chain, read from the store', async (t) => {
  const lock = makeLock({ cycles: ['balanced', 'incremental'], seeds: [1, 2], generations: 3 });
  const store = new Store(tmp());
  for (const node of Object.values(lock.nodes).filter((n) => n.stage === 'train')) {
    const g = Number(node.tags.generation);
    // Evaluated every 50 steps; null between evaluations, as model/train.ts logs.
    const val = Array.from({ length: 100 }, (_, i) => ((i + 1) % 50 === 0 ? 2 - g / 10 - i / 100 : null));
    const steps = Int32Array.from({ length: 100 }, (_, i) => i + 1);
    node.outputs.log = await store.putObject(
      new Table({
        step: makeVector(steps),
        train_loss: makeVector(Float64Array.from(steps, () => 2)),
        val_loss: vectorFromArray(val, new Float64()),
      }),
    );
  }
  const curves = await loadTrainingCurves(lock, store, parseChain('cycle=incremental,seed=2'));
  t.false('missing' in curves);
  if ('missing' in curves) return;
  t.is(curves.chain, 'cycle=incremental,lambda=0.5,seed=2');
  t.deepEqual(
    curves.points.map((p) => [p.generation, p.step]),
    [
      [0, 50],
      [0, 100],
      [1, 50],
      [1, 100],
      [2, 50],
      [2, 100],
    ],
  );
  t.is(curves.points[2]!.val_loss, 2 - 0.1 - 0.49);
  t.throws(() => parseChain('incremental'), { message: /expected TAG=VALUE/ });
  await t.throwsAsync(loadTrainingCurves(lock, store, parseChain('cycle=incremental')), {
    message: /matches 2 chains/,
  });
  t.regex(
    ((await loadTrainingCurves(lock, store, parseChain('cycle=nope'))) as { missing: string }).missing,
    /no train node in the lock matches --chain cycle=nope/,
  );

  const outDir = tmp();
  const { files } = await writeReport({ lock, label: 'test.lock', outDir, curves });
  t.true(files.includes(path.join(outDir, 'training-curves.svg')));
  t.regex(
    readFileSync(path.join(outDir, 'training-curves.svg'), 'utf8'),
    /Validation loss per step, each generation of cycle=incremental,lambda=0\.5,seed=2/,
  );
  const bare = new Store(tmp());
  const missing = await loadTrainingCurves(lock, bare, {});
  t.regex(
    (missing as { missing: string }).missing,
    /lacks the training logs of 3 of 3 train nodes \(first: train\/cycle=balanced\/seed=1\/gen=0\)/,
  );
  const { omitted } = await writeReport({ lock, label: 'test.lock', outDir: tmp(), curves: missing });
  t.deepEqual(
    omitted.map((o) => o.name),
    ['training-curves'],
  );
});

test('the report has the paper table, and a lock without eval nodes still makes a report that says so', async (t) => {
  const outDir = tmp();
  await writeReport({ lock: makeLock({ generations: 2 }), label: 'test.lock', outDir });
  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  t.regex(html, /<h2>Paper vs this run<\/h2>/);
  t.regex(
    html,
    /<td>full synthetic<\/td><td>full_synthetic<\/td><td>1<\/td><td>t = 38 \(its generation 39\) \[AI\]<\/td>/,
  );
  t.regex(html, /<td>expanding, 25% fresh \(λ = 0\.75\)<\/td><td>not in this run<\/td><td>0<\/td>/);
  const empty = tmp();
  const trainOnly = makeLock({ generations: 2, skip: () => true });
  const { omitted } = await writeReport({ lock: trainOnly, label: 'test.lock', outDir: empty });
  t.is(omitted.length, 4);
  t.regex(
    readFileSync(path.join(empty, 'report.html'), 'utf8'),
    /no eval nodes in the lock: it holds 8 train node\(s\)/,
  );
});
