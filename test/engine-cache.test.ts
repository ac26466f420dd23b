/**
 * Cache hits and misses through the toy CLI: params slices, code fingerprints (a stage file and a module it
 * imports), sweep deduplication, runtime settings, status reasons, dry runs, dag, show, gc.
 */
import test, { type ExecutionContext } from 'ava';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from '../engine/store/files.ts';
import { codeFingerprint } from '../engine/plan/fingerprint.ts';
import { cacheKey } from '../engine/store/record.ts';
import type { LockFile } from '../engine/store/lock-file.ts';
import { Store } from '../engine/store/store.ts';
import { Workspace } from './fixtures/engine/harness.ts';
import { STAGES_DIR } from './fixtures/engine/toy-graph.ts';

const ONE_RUN_EACH = { source: 1, scale: 1, shift: 1, combine: 1 };

/** A workspace after one full repro of the default params: every node ran once and is cached. */
async function cachedWorkspace(t: ExecutionContext): Promise<Workspace> {
  const ws = new Workspace();
  const result = await ws.run(['repro', '--jobs', '2']);
  t.is(result.code, 0, result.stderr);
  t.deepEqual(ws.counts(), ONE_RUN_EACH);
  return ws;
}

/** cachedWorkspace, then a repro with offset 1 → 5 (in shift's slice, not in source's or scale's). */
async function rerunWithOffset5(t: ExecutionContext): Promise<{ ws: Workspace; before: LockFile; after: LockFile }> {
  const ws = await cachedWorkspace(t);
  const before = ws.lock();
  const result = await ws.run(['repro', '--set', 'offset=5']);
  t.is(result.code, 0, result.stderr);
  return { ws, before, after: ws.lock() };
}

/** `status --json` with these --set overrides, as [id, state, reason] per node. */
async function statusRows(
  t: ExecutionContext,
  ws: Workspace,
  sets: string[],
): Promise<Array<[string, string, string | null]>> {
  const result = await ws.run(['status', '--json', ...sets.flatMap((s) => ['--set', s])]);
  t.is(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as Array<{ ids: string[]; state: string; reason: string | null }>).map((s) => [
    s.ids[0],
    s.state,
    s.reason,
  ]);
}

test('a repro with nothing changed runs nothing and says so', async (t) => {
  const ws = await cachedWorkspace(t);
  const again = await ws.run(['repro']);
  t.regex(again.stdout, /nothing to do: all 4 nodes cached/);
  t.deepEqual(ws.counts(), ONE_RUN_EACH);
});

test('a dry run after a params change names each node that would run and why', async (t) => {
  const ws = await cachedWorkspace(t);
  const dry = await ws.run(['repro', '--dry', '--set', 'offset=5']);
  t.regex(dry.stdout, /would run {2}shift {2}— params\.offset: 1 → 5/);
  t.regex(dry.stdout, /would run {2}combine {2}— upstream missing: shift/);
  t.regex(dry.stdout, /2 of 4 nodes would run/);
});

test('status after a params change shows unaffected nodes cached and names why the others are missing', async (t) => {
  const ws = await cachedWorkspace(t);
  const status = await ws.run(['status', '--set', 'offset=5']);
  t.regex(status.stdout, /cached {3}source/);
  t.regex(status.stdout, /missing {2}shift {2}— params\.offset: 1 → 5/);
  t.regex(status.stdout, /missing {2}combine {2}— upstream missing: shift/);
});

test('a params change reruns only the nodes whose slice includes it', async (t) => {
  const { ws, before, after } = await rerunWithOffset5(t);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 2, combine: 2 });
  t.is(after.nodes.scale.key, before.nodes.scale.key);
  t.not(after.nodes.shift.key, before.nodes.shift.key);
  t.is(after.nodes.combine.metrics.sum, 2 * (0 + 2 + 4 + 6) + 4 * 5);
});

test('status after a rerun compares each node with its latest run', async (t) => {
  const { ws } = await rerunWithOffset5(t);
  const reasons = async (sets: string[]) =>
    Object.fromEntries((await statusRows(t, ws, sets)).map(([id, state, reason]) => [id, { state, reason }]));
  const factor3 = await reasons(['factor=3', 'offset=5']);
  t.is(factor3.scale.reason, 'params.factor: 2 → 3');
  t.is(factor3.source.state, 'cached');
  // shift ran with offset 1, then 5: the reason is against the later run, not the first.
  t.is((await reasons(['offset=7'])).shift.reason, 'params.offset: 5 → 7');
});

test('status after a change at the root: the root names it, each descendant the first upstream node it waits for', async (t) => {
  const ws = await cachedWorkspace(t);
  t.deepEqual(await statusRows(t, ws, ['size=5']), [
    ['source', 'missing', 'params.size: 4 → 5'],
    ['scale', 'missing', 'upstream missing: source'],
    ['shift', 'missing', 'upstream missing: scale'],
    ['combine', 'missing', 'upstream missing: scale'],
  ]);
});

test('editing a stage or a module it imports reruns that stage, and its descendants when its output changed', async (t) => {
  const ws = new Workspace({ copyStages: true });
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1 });

  appendFileSync(
    join(ws.stagesDir!, 'arith.ts'),
    '\nexport const unused = 0; // code that changes nothing the stage computes\n',
  );
  const status = await ws.run(['status']);
  t.regex(status.stdout, /missing {2}shift {2}— code fingerprint changed/);
  t.regex(status.stdout, /cached {3}scale/);
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  // shift reran with the seed it had (seeds leave code out), so its output is the same bytes and combine is cached.
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 2, combine: 1 });

  // An edit that changes what scale computes reruns it and, its output being new, everything below it.
  const scale = join(ws.stagesDir!, 'scale.ts');
  writeFileSync(scale, readFileSync(scale, 'utf8').replace('v * params.factor', 'v * params.factor + 1'));
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  t.deepEqual(ws.counts(), { source: 1, scale: 2, shift: 3, combine: 2 });
});

test('identical subgraphs in a sweep run once; the lock lists shared nodes under every id', async (t) => {
  const ws = new Workspace({ params: { sweep: { offset: [1, 2, 3], seed: [7] } } });
  const result = await ws.run(['repro', '--jobs', '2']);
  t.is(result.code, 0, result.stderr);
  // source and scale are shared by the three offsets; shift and combine differ.
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 3, combine: 3 });
  t.regex(result.stdout, /8 nodes: 0 cached, 8 ran, 0 failed/);
  // Long-lived workers: eight nodes, at most two worker processes.
  const pids = new Set(
    readdirSync(join(ws.store, 'runs')).map((f) => JSON.parse(readFileSync(join(ws.store, 'runs', f), 'utf8')).pid),
  );
  t.true(pids.size <= 2, `${pids.size} worker pids`);
  const lock = ws.lock();
  t.is(Object.keys(lock.nodes).length, 12);
  t.is(lock.nodes['scale/offset=1/seed=7'].key, lock.nodes['scale/offset=3/seed=7'].key);
  t.not(lock.nodes['shift/offset=1/seed=7'].key, lock.nodes['shift/offset=2/seed=7'].key);
  t.deepEqual(lock.nodes['shift/offset=2/seed=7'].tags, { offset: 2, seed: 7 });
  // Shared nodes share a seed; seeds of distinct nodes differ.
  t.not(lock.nodes['combine/offset=1/seed=7'].metrics.seed, lock.nodes['combine/offset=2/seed=7'].metrics.seed);

  const dag = await ws.run(['dag']);
  t.regex(dag.stdout, /scale\/offset=1\/seed=7 {2}\[scale\] {2}shared by 3/);
  t.regex((await ws.run(['dag', '--dot'])).stdout, /^digraph pipeline/);
  t.regex((await ws.run(['dag', '--mermaid'])).stdout, /^flowchart LR/);
  // --force reruns the matching nodes even when cached.
  t.is((await ws.run(['repro', '--force', 'combine/offset=2*'])).code, 0);
  t.is(ws.counts().combine, 4);
});

test('runtime reaches the stage through workers and task files, is no part of the key, and a shared node runs with the first', async (t) => {
  const ws = new Workspace({ params: { runtime: { note: 'a' } } });
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  t.is(ws.lock().nodes.source.metrics.note, 'a');
  t.regex((await ws.run(['repro', '--set', 'runtime={"note":"b"}'])).stdout, /nothing to do: all 4 nodes cached/);

  const swept = new Workspace({ params: { sweep: { 'runtime.note': ['x', 'y'] } } });
  t.is((await swept.run(['repro', '--jobs', '1'])).code, 0);
  t.deepEqual(swept.counts(), { source: 1, scale: 1, shift: 1, combine: 1 });
  t.is(swept.lock().nodes['source/runtime.note="y"'].metrics.note, 'x');

  // What a Slurm job runs: the task file carries the runtime.
  const manifest = {
    stage: 'source',
    code: codeFingerprint(new URL('source.ts', STAGES_DIR).href),
    params: { size: 3 },
    inputs: {},
    seed: 1,
  };
  const task = {
    key: cacheKey(manifest),
    sid: '0123456789abcdef',
    ids: ['source'],
    manifest,
    runtime: { note: 'from the task file' },
  };
  const file = join(ws.dir, 'task.json');
  writeFileSync(file, JSON.stringify(task));
  const ran = await ws.run(['run-task', file]);
  t.is(ran.code, 0, ran.stderr);
  t.is(new Store(ws.store).lookupRun(task.key)?.metrics.note, 'from the task file');
});

test('show prints schema, metadata and rows; gc is a dry run unless --force', async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro'])).code, 0);
  const lock = ws.lock();
  const shown = await ws.run(['show', lock.nodes.source.outputs.data.slice(0, 6)]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /4 rows/);
  t.regex(shown.stdout, /x: Float64/);
  t.regex(shown.stdout, /toy\.stage: source/);

  // Every object is an output of a run record: nothing to collect.
  t.regex((await ws.run(['gc'])).stdout, /nothing to collect/);
  // Garbage: an unreferenced object, a dead writer's temp file, a checkpoint of a committed key.
  writeFileSync(join(ws.store, 'objects', '0123456789abcdef.arrow'), 'orphan');
  writeFileSync(join(ws.store, 'objects', `.tmp-${HOST}~4194305~x`), 'partial'); // a pid above Linux's pid_max
  writeFileSync(join(ws.store, 'runs', `.tmp-elsewhere~1~x`), 'partial'); // another host's writer: kept a day
  writeFileSync(join(ws.store, 'checkpoints', `${lock.nodes.shift.key}.arrow`), 'stale');
  const dry = await ws.run(['gc', '--json']);
  const report = JSON.parse(dry.stdout) as { items: Array<{ kind: string }>; deleted: boolean };
  t.false(report.deleted);
  t.deepEqual(report.items.map((i) => i.kind).sort(), ['checkpoint', 'object', 'temp file']);
  t.true(readdirSync(join(ws.store, 'objects')).includes('0123456789abcdef.arrow'));
  const real = await ws.run(['gc', '--force']);
  t.regex(real.stdout, /deleted 3 files/);
  t.false(readdirSync(join(ws.store, 'objects')).includes('0123456789abcdef.arrow'));
  t.regex((await ws.run(['repro'])).stdout, /nothing to do/);
});

test('repro rejects a --jobs that is not a positive integer, and --json without --dry', async (t) => {
  const ws = new Workspace();
  for (const jobs of ['abc', '0', '-2']) {
    const result = await ws.run(['repro', '--jobs', jobs]);
    t.not(result.code, 0);
    t.regex(result.stderr, new RegExp(`--jobs .*'${jobs}'`));
  }
  const json = await ws.run(['repro', '--json']);
  t.not(json.code, 0);
  t.regex(json.stderr, /--json only applies to --dry/);
  t.deepEqual(ws.counts(), {}, 'nothing ran');
});
