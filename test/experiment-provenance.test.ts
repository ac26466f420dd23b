/**
 * Provenance end to end, through the real CLI at micro scale: the lock records the --set overrides and the params
 * they resolve to, and `params diff`, `metrics diff` and `report` read them from the locks, not from a params file.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLockFile } from '../engine/lock-file.ts';
import { MICRO } from './fixtures/micro.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'provenance-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function pipeline(...args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'pipeline.ts'), ...args], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
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
  t.like(a.lock.params!.resolved, { generations: 2, data: { n: 48 }, model: { width: 16 }, train: { steps: 12 }, sample: { temperature: 0.6 } });
  t.deepEqual(a.lock.params!.chains, { 'cycle=full_synthetic/seed=1': { 'cycle.name': 'full_synthetic', 'cycle.lambda': 0.5 } });
});

test.serial('params diff and metrics diff between the two runs name the changed key', async (t) => {
  await both();
  const params = JSON.parse(pipeline('params', 'diff', 'a.lock', 'b.lock', '--json')) as { rows: Array<{ key: string; old: unknown; new: unknown }> };
  t.deepEqual(params.rows.map((r) => [r.key, r.old, r.new]), [
    ['--set', [...SETS, 'sample.temperature=0.6'], [...SETS, 'sample.temperature=0.4']],
    ['sample.temperature', 0.6, 0.4],
  ]);
  const metrics = pipeline('metrics', 'diff', 'a.lock', 'b.lock');
  t.regex(metrics, /^sample\.temperature\s+0\.6\s+0\.4\s+changed$/m);
  // The samples differ, so their metrics do too (the models are the same node).
  t.regex(metrics, /samples\.diversity/);
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
