/**
 * Names and task files the store must not trust (issue 27): keys that are paths, a task file pairing one node's key
 * with another's manifest, and a run record forged that way.
 */
import test from 'ava';
import { mkdirSync, readdirSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTable } from 'apache-arrow';
import { recordChecksum, type RunRecord } from '../engine/store/record.ts';
import { Store } from '../engine/store/store.ts';
import { referenceLock, Workspace, type Result } from './fixtures/engine/harness.ts';

/** Ways a key can name a path: relative and absolute traversals, separators, NUL, and near-misses of the format. */
const BAD_NAMES: unknown[] = [
  '../../victim/package',
  '../x',
  '..',
  '.',
  '',
  '/etc/passwd',
  'a/b',
  '0123456789abcdef/../../x',
  '0123456789abcde\0',
  '0123456789ABCDEF',
  '0123456789abcdef0',
  '0123456789abcde',
  '................',
  '0123456789abcde/',
  ' 0123456789abcde',
  5,
  null,
  undefined,
  {},
  ['0123456789abcdef'],
];

function runRecord(store: string, key: string): RunRecord {
  return JSON.parse(readFileSync(join(store, 'runs', `${key}.json`), 'utf8')) as RunRecord;
}

/** Every file under `dir` with its bytes: what a refused command must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'latin1')]));
}

function oneLineError(result: Result): string {
  if (result.stderr.includes('\n    at ')) throw new Error(`a stack trace:\n${result.stderr}`);
  return result.stderr.trimEnd();
}

test('every path the store builds from a key or hash refuses a name that is not a hash', async (t) => {
  const store = new Store(new Workspace().store);
  const uses: Array<[string, (name: string) => unknown]> = [
    ['objectPath', (n) => store.objectPath(n)],
    ['runPath', (n) => store.runPath(n)],
    ['checkpointPath', (n) => store.checkpointPath(n)],
    ['logPath', (n) => store.logPath(n)],
    ['lockPath', (n) => store.lockPath(n)],
    ['lookupRun', (n) => store.lookupRun(n)],
    ['appendLog', (n) => store.appendLog(n, 'x')],
    ['dropCheckpoint', (n) => store.dropCheckpoint(n)],
  ];
  for (const [what, use] of uses) {
    for (const name of BAD_NAMES) {
      t.throws(
        () => use(name as string),
        { message: /is not a name of the store \(expected 16 lowercase hex digits\)$/ },
        `${what}(${JSON.stringify(name)})`,
      );
    }
    t.notThrows(() => use('0123456789abcdef'), what);
  }
  await t.throwsAsync(() => store.getObject('../objects/x'), { message: /object hash "..\/objects\/x" is not a name/ });
  await t.throwsAsync(() => store.saveCheckpoint('../../x', makeTable({})), {
    message: /key "..\/..\/x" is not a name/,
  });
  t.deepEqual(readdirSync(store.root).sort(), ['checkpoints', 'locks', 'logs', 'objects', 'runs']);
  t.deepEqual(readdirSync(join(store.root, 'logs')), ['0123456789abcdef.log'], 'only the valid name was written');
});

test('run-task refuses a task whose key is a path, before touching anything; files outside the store stay', async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  const source = runRecord(ws.store, ws.lock().nodes.source.key);
  const victim = join(ws.dir, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'package.json'), '{ "name": "victim" }\n');
  writeFileSync(join(victim, 'model.arrow'), 'weights');
  const before = snapshot(ws.dir);
  // Relative to runs/ (package.json), checkpoints/ (model.arrow, which a commit deletes), and absolute.
  for (const key of ['../../victim/package', '../../victim/model', join(victim, 'package')]) {
    const file = join(ws.dir, 'task.json');
    writeFileSync(
      file,
      JSON.stringify({ key, sid: source.sid, ids: source.ids, manifest: source.manifest, runtime: {}, force: true }),
    );
    const result = await ws.run(['run-task', file]);
    t.is(result.code, 1, result.stderr);
    t.is(
      oneLineError(result),
      `error: ${file}: key ${JSON.stringify(key)} is not a name of the store (expected 16 lowercase hex digits)`,
    );
    rmSync(file);
  }
  t.deepEqual(snapshot(ws.dir), before, 'no file written, replaced or deleted, in the store or outside it');
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1 }, 'no stage ran');
});

test("run-task refuses a task that pairs one node's key with another node's manifest, naming both keys", async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  const lock = ws.lock();
  const shift = runRecord(ws.store, lock.nodes.shift.key);
  const scale = runRecord(ws.store, lock.nodes.scale.key);
  const before = snapshot(ws.store);
  const file = join(ws.dir, 'task.json');
  writeFileSync(
    file,
    JSON.stringify({
      key: shift.key,
      sid: shift.sid,
      ids: shift.ids,
      manifest: scale.manifest,
      runtime: {},
      force: true,
    }),
  );
  const result = await ws.run(['run-task', file]);
  t.is(result.code, 1, result.stderr);
  t.is(
    oneLineError(result),
    `error: ${file}: the task's key ${shift.key} is not its manifest's, which is ${scale.key}; refusing to run it`,
  );
  t.deepEqual(snapshot(ws.store), before, "shift's record, log and lock untouched");
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1 }, 'no stage ran');

  // A task file that is not a task at all, field by field: one line each, naming the field.
  for (const [task, message] of [
    [{ ...shift, sid: '../s' }, /sid "..\/s" is not a name of the store/],
    [{ ...shift, ids: [] }, /ids must be a non-empty list of node ids/],
    [{ ...shift, ids: ['a\nb'] }, /ids\[0\] "a\\nb" is not a node id/],
    [
      { ...shift, manifest: { ...shift.manifest, inputs: { data: '../../x' } } },
      /manifest\.inputs\.data "..\/..\/x" is not a name of the store/,
    ],
    [
      { ...shift, manifest: { ...shift.manifest, seed: 'x' } },
      /manifest must be an object with stage, code, params, inputs and an integer seed/,
    ],
    [{ ...shift, runtime: [] }, /runtime must be an object/],
  ] as const) {
    writeFileSync(file, JSON.stringify({ runtime: {}, ...task }));
    const bad = await ws.run(['run-task', file]);
    t.is(bad.code, 1, bad.stderr);
    t.regex(oneLineError(bad), message);
  }
  t.deepEqual(snapshot(ws.store), before);
});

test("a run record whose key is not its manifest's is tampered: status says so, repro --verify reruns its node", async (t) => {
  const reference = await referenceLock({});
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  // What a forged task committed before run-task checked keys: shift's manifest and outputs under combine's key,
  // with a valid checksum.
  const combineKey = ws.lock().nodes.combine.key;
  const { checksum: _, ...shift } = runRecord(ws.store, ws.lock().nodes.shift.key);
  const forged = { ...shift, key: combineKey, ids: ['combine'] };
  const path = join(ws.store, 'runs', `${combineKey}.json`);
  writeFileSync(path, JSON.stringify({ ...forged, checksum: recordChecksum(forged) }, null, 2) + '\n');

  const status = await ws.run(['status']);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /missing {2}combine {2}— run record tampered: its key is not its manifest's/);
  t.regex(status.stdout, /4 nodes: 3 cached, 1 missing/);
  t.true(
    status.stderr.includes(
      `warning: run record ${path} is tampered: its manifest (stage shift) has key ${shift.key}, not ${combineKey}`,
    ),
    status.stderr,
  );

  const verified = await ws.run(['repro', '--jobs', '1', '--verify']);
  t.is(verified.code, 0, verified.stdout + verified.stderr);
  t.true(verified.stderr.includes(`warning: run record ${path} is tampered`), verified.stderr);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 2 });
  t.deepEqual(ws.lock(), reference);
  t.regex((await ws.run(['status'])).stdout, /4 nodes: 4 cached/);
});
