import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { evalPoints } from '../experiment/lock-file.ts';
import { reportCharts, seriesOf, statsOf } from '../experiment/report-charts.ts';
import { finalTable, writeReport } from '../experiment/report.ts';
import { makeLock, paramsYaml } from './fixtures/compare/locks.ts';

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

test('stats: mean, min and max over seeds per series and generation', (t) => {
  const lock = makeLock({ cycles: ['balanced'], seeds: [1, 2, 3], generations: 2 });
  const values = (gen: number) =>
    Object.values(lock.nodes)
      .filter((n) => n.stage === 'eval' && n.tags.generation === gen)
      .map((n) => n.metrics['samples.diversity'] as number);
  const stats = statsOf(evalPoints(lock), 'samples.diversity');
  t.is(stats.length, 2);
  const [first] = stats;
  t.like(first, { series: 'balanced', generation: 0, seeds: 3, min: Math.min(...values(0)), max: Math.max(...values(0)) });
  t.is(first!.mean.toFixed(9), (values(0).reduce((a, b) => a + b) / 3).toFixed(9));
});

test('a chart without data is left out with the reason', (t) => {
  const charts = reportCharts(evalPoints(makeLock({ cycles: ['full_synthetic', 'balanced'] })));
  t.deepEqual(
    charts.map((c) => [c.name, Boolean(c.spec)]),
    [['correctness', true], ['diversity', true], ['diversity-lambda', false], ['unique', true]],
  );
  t.regex(charts[2]!.omitted!, /no λ-dependent cycle/);
  t.true(reportCharts([]).every((c) => c.omitted));
});

test('final table: last generation per series, spread over seeds, gaps named as not run', (t) => {
  const lock = makeLock({ cycles: ['balanced', 'incremental'], seeds: [1, 2], generations: 3, skip: (p) => p.cycle === 'incremental' && p.seed === 2 && p.generation === 1 });
  const { header, rows } = finalTable(evalPoints(lock));
  t.deepEqual(header.slice(0, 4), ['series', 'generation', 'seeds', 'samples.semantic']);
  t.is(header.at(-1), 'not run');
  t.deepEqual(rows.map((r) => r.slice(0, 3)), [['balanced', '2', '2'], ['incremental λ=0.5', '2', '2']]);
  t.regex(rows[0]![3]!, /^0\.\d{4} \(0\.\d{4}–0\.\d{4}\)$/);
  t.deepEqual(rows.map((r) => r.at(-1)), ['', 'seed 2 gen 1']);
});

test('writeReport writes SVG, PNG and a self-contained report.html', async (t) => {
  const outDir = tmp();
  const lock = makeLock({ lambdas: [0.25, 0.75], seeds: [1, 2], generations: 5 });
  const { files, omitted } = await writeReport({ lock, params: paramsYaml(), outDir, title: 'Test run', date: new Date('2026-01-02T03:04:05Z') });
  const names = ['correctness', 'diversity', 'diversity-lambda', 'unique'];
  t.deepEqual(files, [...names.flatMap((n) => [`${n}.svg`, `${n}.png`]), 'report.html'].map((f) => path.join(outDir, f)));
  t.deepEqual(omitted, []);

  for (const name of names) {
    const png = readFileSync(path.join(outDir, `${name}.png`));
    t.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, name);
    t.true(png.length > 20_000, `${name}.png is ${png.length} bytes`);
  }
  const diversity = readFileSync(path.join(outDir, 'diversity.svg'), 'utf8');
  for (const series of ['full_synthetic', 'balanced', 'incremental λ=0.25', 'incremental λ=0.75', 'expanding λ=0.75']) {
    t.true(diversity.includes(`>${series}</text>`), series);
  }
  t.regex(readFileSync(path.join(outDir, 'diversity-lambda.svg'), 'utf8'), />λ=0\.25<\/text>[\s\S]*>λ=0\.75<\/text>/);
  t.regex(readFileSync(path.join(outDir, 'correctness.svg'), 'utf8'), />semantic<\/text>[\s\S]*>syntactic<\/text>/);

  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  // Nothing to fetch: the only URLs are the SVG namespaces.
  t.deepEqual(html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '').match(/https?:\/\/|<script|<link|\bsrc=|@import|url\(\s*['"]?(?!#)/g), null);
  t.is(html.match(/<svg /g)?.length, 4);
  t.true(html.includes('<h1>Test run</h1>'));
  t.true(html.includes('2026-01-02T03:04:05.000Z'));
  t.true(html.includes('Backend: wasm (60 trainings)'));
  t.true(html.includes('sweep: { cycle.name: [full_synthetic, balanced, incremental, expanding]'));
  t.regex(html, /<td>expanding λ=0\.75<\/td><td>4<\/td><td>2<\/td>/);
});

test('writeReport leaves out a chart without data and says so in the HTML', async (t) => {
  const outDir = tmp();
  const { files, omitted } = await writeReport({ lock: makeLock({ cycles: ['full_synthetic'], generations: 2 }), params: 'seed: 1\n', outDir });
  t.deepEqual(omitted.map((o) => o.name), ['diversity-lambda']);
  t.false(existsSync(path.join(outDir, 'diversity-lambda.svg')));
  t.is(files.length, 7);
  const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');
  t.regex(html, /Not drawn: no λ-dependent cycle/);
  t.is(html.match(/<svg /g)?.length, 3);
});
