import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { compareCli } from './fixtures/compare/cli.ts';
import type { MetricRow, ParamRow } from '../experiment/compare.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import { NOT_RUN } from '../experiment/eval-points.ts';
import { readVersion } from '../experiment/versions.ts';
import { makeLock, nodeId, recordedParams } from './fixtures/compare/locks.ts';

const cli = compareCli;

const SHARED = nodeId({ cycle: 'full_synthetic', seed: 1, generation: 2, extra: {} });

/**
 * A git repository with two commits of pipeline.lock: the second was made with `--set cycle.lambda=0.75` (λ 0.5
 * before) and changes one metric of a shared node. There is no params.yaml: the commands read params from the locks.
 */
function repository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compare-cli-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], {
      cwd: dir,
    });
  const commit = (lambda: number, lock: LockFile) => {
    writeFileSync(path.join(dir, 'pipeline.lock'), JSON.stringify(lock, null, 2));
    git('add', '.');
    git('commit', '-q', '-m', `lambda ${lambda}`);
  };
  git('init', '-q');
  commit(0.5, makeLock({ lambdas: [0.5], generations: 3, params: recordedParams(['generations=3']) }));
  const next = makeLock({
    lambdas: [0.75],
    generations: 3,
    params: recordedParams(['generations=3', 'cycle.lambda=0.75']),
  });
  next.nodes[SHARED]!.metrics['samples.semantic'] = 0.5;
  commit(0.75, next);
  return dir;
}

const repo = repository();
test.after.always(() => rmSync(repo, { recursive: true, force: true }));

test('metrics diff HEAD~1 HEAD: changed metric with Δ, λ nodes not run on the other side', async (t) => {
  const { a, b, rows } = JSON.parse(await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--json')) as {
    a: string;
    b: string;
    rows: MetricRow[];
  };
  t.deepEqual([a, b], ['HEAD~1', 'HEAD']);
  const shared = rows.filter((r) => r.node === SHARED);
  t.is(shared.length, 1);
  t.like(shared[0], { cycle: 'full_synthetic', generation: 2, metric: 'samples.semantic', new: 0.5 });
  t.is(shared[0]!.delta, 0.5 - (shared[0]!.old as number));
  // Every generation of incremental and expanding moved from λ=0.5 to λ=0.75: 2 cycles × 3 generations × 8 metrics each way.
  t.is(rows.filter((r) => r.lambda === 0.5 && r.new === NOT_RUN && r.delta === null).length, 48);
  t.is(rows.filter((r) => r.lambda === 0.75 && r.old === NOT_RUN).length, 48);
  t.is(rows.length, 97);

  const text = await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--metric', 'samples.semantic');
  t.regex(text, /full_synthetic\s+1\s+2\s+semantic\s+0\.\d{4}\s+0\.5000\s+-0\.\d{4}/);
  t.regex(text, /expanding\s+0\.75\s+1\s+2\s+semantic\s+not run\s+0\.\d{4}/);
  t.notRegex(text, /diversity/);
});

test('metrics diff honours --metric in each format, and shows the headline metrics by default', async (t) => {
  const metricsOf = (rows: MetricRow[]) => [...new Set(rows.map((r) => r.metric))];
  const json = JSON.parse(await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--metric', 'diversity', '--json')) as {
    metrics: string[];
    rows: MetricRow[];
  };
  t.deepEqual(json.metrics, ['samples.diversity']);
  t.deepEqual(metricsOf(json.rows), ['samples.diversity']);
  const csv = (await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--metric', 'diversity', '--csv'))
    .trim()
    .split('\n');
  t.is(csv[0], 'cycle,lambda,seed,generation,node,metric,old,new,delta');
  t.is(csv.length, 1 + json.rows.length);
  t.true(csv.slice(1).every((line) => line.split(',')[5] === 'samples.diversity'));
  const md = await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--metric', 'diversity', '--md');
  t.regex(md, /^\| cycle \| λ \| seed \| gen \| metric \| HEAD~1 \| HEAD \| Δ \|$/m);
  t.regex(md, /^\| expanding \| 0\.75 \| 1 \| 2 \| diversity \| not run \| 0\.\d{4} \| {2}\|$/m);
  t.notRegex(md, /semantic/);
  const text = await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD');
  const shown = new Set([...text.matchAll(/^expanding\s+0\.75\s+1\s+\d\s+(\w+)\s/gm)].map((m) => m[1]));
  t.deepEqual([...shown].sort(), ['copied', 'diversity', 'semantic', 'syntactic', 'unique']);
});

test('metrics diff defaults to HEAD against the working tree; --unchanged shows unchanged values', async (t) => {
  t.regex(await cli(repo, 'metrics', 'diff'), /no differences between HEAD and workdir/);
  const { rows } = JSON.parse(
    await cli(repo, 'metrics', 'diff', '--unchanged', '--json', '--metric', 'samples.count'),
  ) as { rows: MetricRow[] };
  t.is(rows.length, 4 * 3);
  t.true(rows.every((r) => r.delta === 0));
  // The short name, as metrics show takes it.
  const short = JSON.parse(await cli(repo, 'metrics', 'diff', '--unchanged', '--json', '--metric', 'count')) as {
    rows: MetricRow[];
  };
  t.deepEqual(short.rows, rows);
});

test('params diff HEAD~1 HEAD shows the λ keys and the overrides, read from the locks', async (t) => {
  const { rows } = JSON.parse(await cli(repo, 'params', 'diff', 'HEAD~1', 'HEAD', '--json')) as { rows: ParamRow[] };
  t.deepEqual(rows, [
    { key: '--set cycle.lambda', new: '0.75', change: 'added' },
    { key: 'cycle.lambda', old: 0.5, new: 0.75, change: 'changed' },
    { key: 'sweep.cycle.lambda', old: [0.5], new: [0.75], change: 'changed' },
  ]);
  const text = await cli(repo, 'params', 'diff', 'HEAD~1', '--unchanged');
  t.regex(text, /^key\s+HEAD~1\s+workdir\s+change$/m);
  t.regex(text, /^cycle\.lambda\s+0\.5\s+0\.75\s+changed$/m);
  t.regex(text, /^model\.width\s+64\s+64$/m);
  t.regex(text, /^generations\s+3\s+3$/m);
});

test('a lock without params (version 1) says so: params diff refuses, metrics diff notes it above its table', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'compare-old-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'old.lock'), JSON.stringify(makeLock({ generations: 3 })));
  const old = path.join(dir, 'old.lock');
  await t.throwsAsync(cli(repo, 'params', 'diff', old, 'HEAD'), {
    message: `${old}'s pipeline.lock records no params: it is a version 1 lock, written before locks recorded them; rerun repro to record them`,
  });
  const text = await cli(repo, 'metrics', 'diff', old, 'HEAD');
  t.true(text.startsWith(`params: ${old}'s pipeline.lock records no params: it is a version 1 lock`));
  t.regex(text, /\ssemantic\s/);
});

test('metrics diff names the params that changed between the two locks above the metrics', async (t) => {
  const text = await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--metric', 'samples.semantic');
  t.regex(
    text,
    /^key\s+HEAD~1\s+HEAD\s+change\n[- ]+\n--set cycle\.lambda\s+\(absent\)\s+0\.75\s+added\ncycle\.lambda\s+0\.5\s+0\.75\s+changed\nsweep\.cycle\.lambda\s+\[0\.5\]\s+\[0\.75\]\s+changed\n\n/,
  );
  const { params } = JSON.parse(await cli(repo, 'metrics', 'diff', 'HEAD~1', 'HEAD', '--json')) as {
    params: ParamRow[];
  };
  t.deepEqual(
    params.map((r) => r.key),
    ['--set cycle.lambda', 'cycle.lambda', 'sweep.cycle.lambda'],
  );
});

test('metrics show lists every series and generation of a lock, from a file or a revision', async (t) => {
  const { rows } = JSON.parse(await cli(repo, 'metrics', 'show', '--json', '--lock', 'HEAD~1')) as {
    rows: { lambda?: number }[];
  };
  t.is(rows.length, 4 * 3);
  t.true(rows.some((r) => r.lambda === 0.5));
  const text = await cli(repo, 'metrics', 'show', '--lock', path.join(repo, 'pipeline.lock'));
  t.regex(text.split('\n')[0]!, /^cycle\s+λ\s+gen\s+seeds\s+semantic\s+syntactic\s+diversity\s+unique\s+copied$/);
  t.is(text.split('\n').length, 2 + 12);
});

test('report writes the figures and report.html, and prints their paths', async (t) => {
  const printed = (await cli(repo, 'report', '-o', 'out/rep', '--lock', 'HEAD')).split('\n');
  t.deepEqual(printed.slice(0, 2), ['out/rep/correctness.svg', 'out/rep/correctness.png']);
  t.is(printed.at(-3), 'out/rep/report.html');
  t.is(
    printed.at(-2),
    `(training-curves not drawn: no store at ${path.join(repo, 'artifacts')} to read the training logs from (--store))`,
  );
  t.is(
    printed.at(-1),
    `(sample-shapes not drawn: no store at ${path.join(repo, 'artifacts')} to read the samples from (--store))`,
  );
  t.is(printed.length, 11);
  // The params HEAD's lock records, not a params file's: the override, and λ = 0.75 in the resolved params.
  const html = readFileSync(path.join(repo, 'out/rep/report.html'), 'utf8');
  t.true(html.includes('overrides: <code>--set generations=3 --set cycle.lambda=0.75</code>'));
  t.regex(html, /cycle:\n  name: full_synthetic\n  lambda: 0\.75\n/);
  t.true(
    html.includes(
      '<td>cycle=expanding/lambda=0.75/seed=1</td><td>cycle.name=&quot;expanding&quot;, cycle.lambda=0.75</td>',
    ),
  );
});

test('versions: clear errors for a missing lock, an unknown revision, a revision without the file', async (t) => {
  const empty = mkdtempSync(path.join(tmpdir(), 'compare-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.throwsAsync(cli(empty, 'metrics', 'show'), {
    message: `no pipeline.lock at ${path.join(empty, 'pipeline.lock')}: run \`npx tsx pipeline.ts repro\` first`,
  });
  await t.throwsAsync(cli(empty, 'metrics', 'diff', 'runs/a.lock', '.'), {
    message: `no pipeline.lock at ${path.join(empty, 'runs/a.lock')}: run \`npx tsx pipeline.ts repro\` first`,
  });
  await t.throwsAsync(cli(repo, 'params', 'diff', 'HEAD', 'nowhere/x.lock'), {
    message: `no pipeline.lock at ${path.join(repo, 'nowhere/x.lock')}: run \`npx tsx pipeline.ts repro\` first`,
  });
  await t.throwsAsync(cli(repo, 'metrics', 'diff', 'no-such-rev'), {
    message: /"no-such-rev" is neither a file, a directory nor a git revision/,
  });
  await t.throwsAsync(cli(empty, 'params', 'diff', 'HEAD', repo), {
    message: /neither a file, a directory nor a git revision \(git: fatal: not a git repository/,
  });
  execFileSync('git', ['init', '-q'], { cwd: empty });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], {
    cwd: empty,
  });
  await t.throwsAsync(readVersion('HEAD', empty), { message: 'git revision HEAD has no pipeline.lock' });
  await t.throwsAsync(cli(repo, 'metrics', 'diff', '--metric', 'samples.nope'), {
    message: /--metric samples\.nope: no such eval metric in either lock; known: samples\.semantic/,
  });
  // A directory holding the file, and the working tree by name.
  const text = readFileSync(path.join(repo, 'pipeline.lock'), 'utf8');
  t.is((await readVersion(repo, '/')).text, text);
  t.deepEqual(await readVersion('.', repo), { label: 'workdir', text });
});
