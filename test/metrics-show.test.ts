import test from 'ava';
import { showMetrics, type ShowRow } from '../experiment/metrics-show.ts';
import { seedStat } from '../experiment/seeds.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import { makeLock, nodeId } from './fixtures/compare/locks.ts';

const oneSeed = makeLock({ lambdas: [0.25, 0.75], generations: 3 });
const threeSeeds = makeLock({ lambdas: [0.5], seeds: [1, 2, 3], generations: 3 });
const show = (
  lock: LockFile,
  format: 'text' | 'md' | 'csv' | 'json',
  more: { metrics?: string[]; all?: boolean; perSeed?: boolean } = {},
) => showMetrics(lock, { format, label: 'fixture', ...more });
const evalNodes = (lock: LockFile) => Object.entries(lock.nodes).filter(([, n]) => n.stage === 'eval');

/** A minimal RFC 4180 reader: the test must not trust the writer it checks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  row.push(field);
  rows.push(row);
  return rows;
}

test("text: each task's headline metrics, those its lock recorded (a text lock: validity and distinct_2)", (t) => {
  const textLock = structuredClone(oneSeed);
  for (const [, node] of evalNodes(textLock)) {
    const { 'samples.semantic': semantic, 'samples.syntactic': syntactic, ...rest } = node.metrics ?? {};
    node.metrics = { ...rest, 'samples.validity': semantic!, 'samples.distinct_2': syntactic! };
  }
  const header = show(textLock, 'text').split('\n')[0]!;
  t.regex(header, /^cycle\s+λ\s+gen\s+seeds\s+validity\s+distinct_2\s+diversity\s+unique\s+copied$/);
});

test('text: the headline metrics, one row per series and generation, within 100 columns', (t) => {
  for (const lock of [oneSeed, threeSeeds]) {
    const lines = show(lock, 'text').split('\n');
    t.regex(lines[0]!, /^cycle\s+λ\s+gen\s+seeds\s+semantic\s+syntactic\s+diversity\s+unique\s+copied$/);
    t.true(
      lines.every((l) => l.length <= 100),
      `widest line: ${Math.max(...lines.map((l) => l.length))}`,
    );
  }
  const three = show(threeSeeds, 'text');
  t.regex(three, /^full_synthetic\s+0\s+3\s+\d\.\d{3}±\d\.\d{3}/m);
  t.regex(three, /mean±half-width of the 95% t-interval over seeds/);
  // One seed: the value as recorded, no ± and no legend.
  t.notRegex(show(oneSeed, 'text'), /±|t-interval/);
});

test('JSON: the lock numbers, the interval for several seeds, none for one', (t) => {
  const one = JSON.parse(show(oneSeed, 'json')) as { metrics: string[]; rows: ShowRow[] };
  t.is(one.rows.length, evalNodes(oneSeed).length);
  t.true(
    ['samples.copied', 'data.count', 'data.diversity'].every((m) => one.metrics.includes(m)),
    'every metric by default',
  );
  for (const row of one.rows) {
    const node = oneSeed.nodes[nodeId({ ...row, seed: row.seeds[0], extra: {} })]!;
    for (const [metric, stat] of Object.entries(row.metrics)) {
      t.is<unknown, unknown>(stat!.mean, node.metrics[metric]);
      t.is(stat!.ci95, undefined);
    }
  }
  const three = JSON.parse(show(threeSeeds, 'json', { metrics: ['diversity'] })) as {
    interval: string;
    rows: ShowRow[];
  };
  t.is(three.interval, '95% t-interval');
  const row = three.rows.find((r) => r.cycle === 'incremental' && r.generation === 2)!;
  const values = [1, 2, 3].map(
    (seed) =>
      threeSeeds.nodes[nodeId({ cycle: 'incremental', lambda: 0.5, seed, generation: 2, extra: {} })]!.metrics[
        'samples.diversity'
      ] as number,
  );
  t.deepEqual(row.seeds, [1, 2, 3]);
  t.deepEqual(row.metrics['samples.diversity'], seedStat(values));
});

test('CSV: parseable, a column per metric with its interval, the numbers of the lock', (t) => {
  const [header, ...rows] = parseCsv(show(oneSeed, 'csv'));
  t.deepEqual(header!.slice(0, 5), ['cycle', 'lambda', 'generation', 'seeds', 'samples.semantic']);
  t.deepEqual(header!.slice(5, 7), ['samples.semantic.ci95_low', 'samples.semantic.ci95_high']);
  t.is(rows.length, evalNodes(oneSeed).length);
  const col = (name: string) => header!.indexOf(name);
  for (const row of rows) {
    const place = {
      cycle: row[col('cycle')]!,
      lambda: row[1] ? Number(row[1]) : undefined,
      seed: 1,
      generation: Number(row[2]),
      extra: {},
    };
    const node = oneSeed.nodes[nodeId(place)]!;
    for (const metric of ['samples.semantic', 'samples.unique', 'data.diversity'])
      t.is<unknown, unknown>(Number(row[col(metric)]), node.metrics[metric]);
    t.is(row[col('samples.semantic.ci95_low')], '');
  }
  const [, ...three] = parseCsv(show(threeSeeds, 'csv', { metrics: ['semantic'] }));
  t.true(three.every((r) => r.length === 7 && Number(r[5]) < Number(r[4]) && Number(r[4]) < Number(r[6])));
  const [perSeedHeader, ...perSeed] = parseCsv(show(threeSeeds, 'csv', { perSeed: true, metrics: ['semantic'] }));
  t.deepEqual(perSeedHeader, ['cycle', 'lambda', 'seed', 'generation', 'samples.semantic']);
  t.is(perSeed.length, evalNodes(threeSeeds).length);
});

test('Markdown: a table with a separator row and one row per series and generation', (t) => {
  const lines = show(oneSeed, 'md').split('\n');
  t.is(lines[0], '| cycle | λ | gen | seeds | semantic | syntactic | diversity | unique | copied |');
  t.is(lines[1], '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  t.is(lines.length, 2 + evalNodes(oneSeed).length);
  t.regex(lines[2]!, /^\| full_synthetic \|  \| 0 \| 1 \| 0\.\d{4} \|/);
});

test('--metric, --all, --per-seed choose columns and rows; an unknown metric is named', (t) => {
  t.regex(
    show(oneSeed, 'text', { metrics: ['samples.diversity', 'unique'] }).split('\n')[0]!,
    /gen\s+seeds\s+diversity\s+unique$/,
  );
  t.regex(
    show(oneSeed, 'text', { all: true }).split('\n')[0]!,
    /unique\s+count\s+copied\s+data\.diversity\s+data\.count$/,
  );
  t.regex(show(threeSeeds, 'text', { perSeed: true }).split('\n')[0]!, /^cycle\s+λ\s+seed\s+gen\s+semantic/);
  t.throws(() => show(oneSeed, 'text', { metrics: ['nope'] }), {
    message: /--metric nope: no such eval metric in the lock; known: samples\.semantic/,
  });
});

test('a lock without eval nodes, or from an older version without some metrics, says what is missing', (t) => {
  const trainOnly: LockFile = {
    version: 1,
    nodes: Object.fromEntries(Object.entries(oneSeed.nodes).filter(([, n]) => n.stage !== 'eval')),
  };
  t.is(
    show(trainOnly, 'text'),
    'no eval nodes in fixture: it holds 18 train node(s). Run `npx tsx pipeline.ts repro` until the eval nodes have run.',
  );
  t.regex(JSON.parse(show(trainOnly, 'json')).missing, /^no eval nodes in fixture/);
  const older = structuredClone(oneSeed);
  for (const [, node] of evalNodes(older)) delete node.metrics['samples.copied'];
  const text = show(older, 'text');
  t.regex(text, /^full_synthetic\s+0\s+1\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+\d+\s+n\/a$/m);
  t.regex(text, /n\/a: samples\.copied not recorded in this lock \(made by an older version\? rerun repro\)/);
});

test('the perplexities are shown by default where the lock records them; --metric takes their names', (t) => {
  const measured = makeLock({ lambdas: [0.5], generations: 3, perplexity: true });
  const header = show(measured, 'text').split('\n')[0]!;
  t.regex(header, /\s+copied\s+heldout\.perplexity\s+perplexity_m0$/);
  t.regex(show(oneSeed, 'text').split('\n')[0]!, /\s+copied$/, 'a lock without them shows no empty column');
  t.regex(
    show(measured, 'text', { metrics: ['heldout.perplexity', 'perplexity_m0', 'heldout.rows'] }).split('\n')[0]!,
    /gen\s+seeds\s+heldout\.perplexity\s+perplexity_m0\s+heldout\.rows$/,
  );
  const json = JSON.parse(show(measured, 'json')) as { metrics: string[] };
  t.true(json.metrics.includes('heldout.rows'));
  t.false(json.metrics.includes('backend'), 'the backend an eval node ran on is no metric to show');
});
