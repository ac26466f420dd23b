/**
 * Provenance end to end, through the real CLI at micro scale: the lock records the --set overrides and the params
 * they resolve to, and `params diff`, `metrics diff` and `report` read them from the locks, not from a params file.
 * Also the report's samples section, which reads the run's samples from the store.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLockFile } from '../engine/store/lock-file.ts';
import { Store } from '../engine/store/store.ts';
import { expressionsOf } from '../stages/dataset.ts';
import { MICRO } from './fixtures/micro.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'provenance-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function pipeline(...args: string[]): string {
  const result = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'pipeline.ts'), ...args],
    { cwd: dir, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`pipeline ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

// Two params files (so two locks), one chain of two generations each; they differ only in the sampling temperature.
const SETS = [...MICRO, 'generations=2', 'sweep.cycle.name=[full_synthetic]', 'data.n=48'];
const run = (name: string, temperature: number) => {
  copyFileSync(join(ROOT, 'params.yaml'), join(dir, `${name}.yaml`));
  const sets = [...SETS, `sample.temperature=${temperature}`];
  pipeline('repro', '-p', `${name}.yaml`, '--store', 'store', '--jobs', '2', ...sets.flatMap((s) => ['--set', s]));
  return { sets, lock: parseLockFile(readFileSync(join(dir, `${name}.lock`), 'utf8'), `${name}.lock`) };
};
let runs: Promise<{ a: ReturnType<typeof run>; b: ReturnType<typeof run> }> | undefined;
const both = () => (runs ??= Promise.resolve().then(() => ({ a: run('a', 0.6), b: run('b', 0.4) })));

test.serial('the lock records the --set overrides, the params they resolve to, and each chain', async (t) => {
  const { a } = await both();
  t.is(a.lock.version, 2);
  t.like(a.lock.params, { source: 'a.yaml', overrides: a.sets });
  t.like(a.lock.params!.resolved, {
    generations: 2,
    data: { n: 48 },
    model: { width: 16 },
    train: { steps: 12 },
    sample: { temperature: 0.6 },
  });
  t.deepEqual(a.lock.params!.chains, {
    'cycle=full_synthetic/seed=1': { 'cycle.name': 'full_synthetic', 'cycle.lambda': 0.5 },
  });
});

test.serial('params diff and metrics diff between the two runs name the changed key', async (t) => {
  await both();
  const params = JSON.parse(pipeline('params', 'diff', 'a.lock', 'b.lock', '--json')) as {
    rows: Array<{ key: string; old: unknown; new: unknown }>;
  };
  t.deepEqual(
    params.rows.map((r) => [r.key, r.old, r.new]),
    [
      ['--set sample.temperature', '0.6', '0.4'],
      ['sample.temperature', 0.6, 0.4],
    ],
  );
  const metrics = pipeline('metrics', 'diff', 'a.lock', 'b.lock');
  t.regex(metrics, /^sample\.temperature\s+0\.6\s+0\.4\s+changed$/m);
  // The samples differ, so their metrics do too (the models are the same node).
  t.regex(metrics, /^full_synthetic\s.*\sdiversity\s/m);
});

test.serial('report prints the params the run used, from its lock', async (t) => {
  await both();
  pipeline('report', '--lock', 'b.lock', '--store', 'store', '-o', 'rep');
  const html = readFileSync(join(dir, 'rep', 'report.html'), 'utf8');
  t.true(html.includes('made from b.yaml'));
  t.regex(html, /data:\n(  \w+: \d+\n)*  n: 48\n/);
  t.regex(html, /steps: 12\n/);
  t.regex(html, /width: 16\n/);
  t.regex(html, /temperature: 0\.4\n/);
});

test.serial(
  "report shows each series' most frequent samples with their counts, and length and depth against D_0",
  async (t) => {
    const { b } = await both();
    pipeline('report', '--lock', 'b.lock', '--store', 'store', '-o', 'samples', '--sample-generations', '1');
    const html = readFileSync(join(dir, 'samples', 'report.html'), 'utf8');
    const id = 'sample/cycle=full_synthetic/seed=1/gen=1';
    const expressions = expressionsOf(
      await new Store(join(dir, 'store'), { create: false }).getObject(b.lock.nodes[id]!.outputs.samples!),
    );
    const counts = new Map<string, number>();
    for (const e of expressions) counts.set(e, (counts.get(e) ?? 0) + 1);
    const [first, count] = [...counts].sort(([x, m], [y, n]) => n - m || x.localeCompare(y))[0]!;
    t.true(
      html.includes(
        `<h3>cycle=full_synthetic, S_1 (cycle=full_synthetic/seed=1): 48 rows, ${counts.size} distinct</h3>`,
      ),
    );
    t.true(html.includes(`<tbody><tr><td>${first}</td><td>${count}</td></tr>`), first);
    t.false(html.includes(', S_0 ('), 'only the generation asked for');
    t.true(existsSync(join(dir, 'samples', 'sample-shapes.svg')));
    const svg = readFileSync(join(dir, 'samples', 'sample-shapes.svg'), 'utf8');
    t.true(svg.includes('>D_0</text>') && svg.includes('>S_1</text>'));
    const bad = spawnSync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(ROOT, 'pipeline.ts'),
        'report',
        '--lock',
        'b.lock',
        '--sample-generations',
        'last',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    t.is(bad.stderr.trim(), 'error: --sample-generations last: expected generations as numbers, e.g. 0,5');
  },
);
