/**
 * The engine's parts in-process: canonical JSON, sweeps, plans and dedupe, code fingerprints, locks, the store,
 * and objects read back by a second Arrow implementation (polars).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeTable } from 'apache-arrow';
import pl from 'nodejs-polars';
import { LocalExecutor } from '../engine/transports/local.ts';
import { buildPlan, expandSweep, globMatcher, loneNodes, type NodeSpec } from '../engine/plan/graph.ts';
import { canonicalJson } from '../engine/store/hash.ts';
import { codeFingerprint, localClosure } from '../engine/plan/fingerprint.ts';
import { inspectLock, Lock } from '../engine/store/lock.ts';
import { diffManifests } from '../engine/plan/status.ts';
import { cacheKey, recordChecksum } from '../engine/store/record.ts';
import { CorruptObjectError, Store } from '../engine/store/store.ts';
import { HOST } from '../engine/store/files.ts';
import type { RunRecord } from '../engine/store/record.ts';
import { toyLoader } from './fixtures/engine/toy-graph.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'engine-unit-'));
/** A record edited and then given a valid checksum, as only a deliberate writer could. */
const withChecksum = (record: RunRecord): RunRecord => ({ ...record, checksum: recordChecksum(record) });

test('canonical JSON sorts keys, drops whitespace and names the key of a value JSON cannot hold', (t) => {
  t.is(canonicalJson({ b: [1, { d: 'x', c: null }], a: true }), '{"a":true,"b":[1,{"c":null,"d":"x"}]}');
  t.throws(() => canonicalJson({ cycle: { lambda: NaN } }), { message: /\$\.cycle\.lambda is NaN/ });
  t.throws(() => canonicalJson({ a: [1, Infinity] }), { message: /\$\.a\[1\] is Infinity/ });
  t.throws(() => canonicalJson({ a: undefined }), { message: /\$\.a is undefined/ });
});

test('expandSweep is the cartesian product over dotted key paths', (t) => {
  const out = expandSweep(
    { cycle: { name: 'balanced', lambda: 0 }, seed: 0 },
    { 'cycle.lambda': [0.25, 0.5], seed: [1, 2] },
  );
  t.is(out.length, 4);
  t.deepEqual(out[3], {
    params: { cycle: { name: 'balanced', lambda: 0.5 }, seed: 2 },
    assignment: { 'cycle.lambda': 0.5, seed: 2 },
  });
  t.throws(() => expandSweep({}, { a: [] }), { message: /non-empty/ });
});

test('plans dedupe nodes by structural identity; distinct nodes get distinct seeds; errors name the node', async (t) => {
  const { nodes } = await toyLoader({ set: ['sweep={"offset":[1,2],"factor":[3]}', 'seed=5'] });
  const plan = buildPlan(nodes);
  t.is(nodes.length, 8);
  t.is(plan.nodes.length, 6); // source and scale are shared by both offsets
  const scale = plan.byId.get('scale/offset=1/factor=3')!;
  t.is(plan.byId.get('scale/offset=2/factor=3'), scale);
  t.deepEqual(scale.ids, ['scale/offset=1/factor=3', 'scale/offset=2/factor=3']);
  t.not(plan.byId.get('shift/offset=1/factor=3')!.seed, plan.byId.get('shift/offset=2/factor=3')!.seed);
  t.deepEqual(
    plan.nodes.map((n) => n.stage.name),
    ['source', 'scale', 'shift', 'combine', 'shift', 'combine'],
  );
  // A different experiment seed gives different identities.
  const other = buildPlan((await toyLoader({ set: ['seed=6'] })).nodes);
  t.not(other.byId.get('source')!.sid, plan.byId.get('source/offset=1/factor=3')!.sid);

  const bad: NodeSpec[] = [{ ...nodes[1], id: 'x', inputs: { data: { node: 'nope', output: 'data' } } }];
  t.throws(() => buildPlan(bad), { message: /node 'x' input 'data' names unknown node 'nope'/ });
  const cyc: NodeSpec[] = [
    { ...nodes[1], id: 'a', inputs: { data: { node: 'b', output: 'data' } } },
    { ...nodes[1], id: 'b', inputs: { data: { node: 'a', output: 'data' } } },
  ];
  t.throws(() => buildPlan(cyc), { message: /cycle/ });
  t.throws(() => buildPlan([{ ...nodes[0], params: { size: NaN } }]), { message: /params\.size is NaN/ });
  t.true(globMatcher('train/*')('train/balanced/lambda=0.5'));
  t.false(globMatcher('train/*/gen=1')('train/balanced/gen=10'));
});

test("a node may leave a stage's optional inputs unconnected, never a required one, nor connect one it does not declare", async (t) => {
  const [source, scale] = (await toyLoader({ set: [] })).nodes;
  const stage = { ...scale!.stage, optionalInputs: ['extra'] };
  const data = scale!.inputs.data!;
  t.notThrows(() => buildPlan([source!, { ...scale!, stage }]), 'optional input left out');
  t.notThrows(() => buildPlan([source!, { ...scale!, stage, inputs: { data, extra: data } }]), 'optional input given');
  t.throws(() => buildPlan([source!, { ...scale!, stage, inputs: { extra: data } }]), {
    message: `graph: node '${scale!.id}' of stage 'scale': missing inputs data`,
  });
  t.throws(() => buildPlan([source!, { ...scale!, stage, inputs: { data, other: data } }]), {
    message: `graph: node '${scale!.id}' of stage 'scale': undeclared inputs other`,
  });
});

test('lone nodes: those every other node of the plan is upstream or downstream of', async (t) => {
  // source → scale → (shift → combine) per offset: source and scale are lone; each offset's pair can run beside the other's.
  const swept = buildPlan((await toyLoader({ set: ['sweep={"offset":[1,2],"factor":[3]}'] })).nodes);
  t.deepEqual([...loneNodes(swept)].map((sid) => swept.bySid.get(sid)!.stage.name).sort(), ['scale', 'source']);
  // One offset: a chain, every node lone.
  const chain = buildPlan((await toyLoader({ set: ['sweep={"offset":[1],"factor":[3]}'] })).nodes);
  t.is(loneNodes(chain).size, chain.nodes.length);
  // Two factors: the sweep splits right after the source.
  const early = buildPlan((await toyLoader({ set: ['sweep={"offset":[1],"factor":[3,4]}'] })).nodes);
  t.deepEqual(
    [...loneNodes(early)].map((sid) => early.bySid.get(sid)!.stage.name),
    ['source'],
  );
});

test('code fingerprints follow local imports and files named by new URL(…, import.meta.url), not packages or type-only imports', (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'stage.ts'),
    "import { makeTable } from 'apache-arrow';\nimport type { X } from './types.ts';\nexport { helper } from './helper.ts';\nconst lazy = () => import('./lazy.ts');\nconst source = new URL('./kernel.c', import.meta.url);\n",
  );
  writeFileSync(join(dir, 'kernel.c'), 'int f(void) { return 1; }\n');
  writeFileSync(join(dir, 'helper.ts'), "import './deep.js';\nexport const helper = 1;\n");
  writeFileSync(join(dir, 'deep.ts'), 'export {};\n');
  writeFileSync(join(dir, 'lazy.ts'), 'export {};\n');
  writeFileSync(join(dir, 'types.ts'), 'export type X = number;\n');
  const closure = localClosure(join(dir, 'stage.ts'));
  t.deepEqual([...closure.keys()].map((f) => f.slice(dir.length + 1)).sort(), [
    'deep.ts',
    'helper.ts',
    'kernel.c',
    'lazy.ts',
    'stage.ts',
  ]);
});

// Two stages: a imports shared.ts, b imports nothing. Literals that look like comments are code.
const STAGES = {
  'a.ts': "import { clean } from './shared.ts';\nexport const a = () => clean('http://x');\n",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a module whose template holds a placeholder
  'b.ts': "export const b = `/* not a comment */ ${1}` + '// nor this';\n",
  'shared.ts': "/** Drops openers. */\nexport function clean(s: string) {\n  return s.replace(/\\/\\*/g, '');\n}\n",
};
type Edit = (files: typeof STAGES) => Partial<typeof STAGES>;

/** The stages' fingerprints after an edit, in a fresh directory: fingerprints are cached per file for a process. */
function fingerprintsAfter(edit: Edit): { a: string; b: string } {
  const dir = tmp();
  for (const [name, text] of Object.entries({ ...STAGES, ...edit(STAGES) })) writeFileSync(join(dir, name), text);
  const of = (name: string) => codeFingerprint(pathToFileURL(join(dir, name)).href);
  return { a: of('a.ts'), b: of('b.ts') };
}

test('code fingerprints ignore comments and layout: such an edit keeps every key', (t) => {
  const base = fingerprintsAfter(() => ({}));
  const edits: Record<string, Edit> = {
    'a line comment': (f) => ({
      'a.ts': f['a.ts'] + '// why a is here\n',
      'shared.ts': f['shared.ts'].replace("'');", "''); // openers only"),
    }),
    'a block comment': (f) => ({ 'b.ts': f['b.ts'].replace('export const', 'export /* value */ const') }),
    'a JSDoc edit': (f) => ({
      'shared.ts': f['shared.ts'].replace('Drops openers.', 'Removes every comment opener,\n * wherever it is.'),
    }),
    'a commented-out import': (f) => ({ 'a.ts': "// import { gone } from './gone.ts';\n" + f['a.ts'] }),
    'indentation, spaces and blank lines': (f) => ({
      'shared.ts': f['shared.ts'].replace('  return s', '\n\n\treturn  s').replace('(s: string)', '( s : string )'),
    }),
  };
  for (const [name, edit] of Object.entries(edits)) t.deepEqual(fingerprintsAfter(edit), base, name);
});

test('code fingerprints change with code, literals that look like comments included, and only for the stages that import it', (t) => {
  const base = fingerprintsAfter(() => ({}));
  const cases: [string, Edit, 'a' | 'b'][] = [
    ['a URL in a string', (f) => ({ 'a.ts': f['a.ts'].replace('http://x', 'http://y') }), 'a'],
    ['a comment-like template literal', (f) => ({ 'b.ts': f['b.ts'].replace('not a comment', 'not a comment!') }), 'b'],
    ['a comment-like string', (f) => ({ 'b.ts': f['b.ts'].replace('nor this', 'nor that') }), 'b'],
    ['a regular expression in an imported module', (f) => ({ 'shared.ts': f['shared.ts'].replace('/g,', '/,') }), 'a'],
    [
      'a line break that inserts a semicolon',
      (f) => ({ 'shared.ts': f['shared.ts'].replace('return s', 'return\ns') }),
      'a',
    ],
  ];
  for (const [name, edit, changed] of cases) {
    const after = fingerprintsAfter(edit);
    const kept = changed === 'a' ? 'b' : 'a';
    t.not(after[changed], base[changed], name);
    t.is(after[kept], base[kept], name);
  }
});

test('locks: exclusive, released, and taken over from a dead process or a host whose heartbeat stopped', async (t) => {
  const dir = tmp();
  const path = join(dir, 'k.lock');
  const lock = Lock.acquire(path);
  t.true(lock instanceof Lock);
  const second = Lock.acquire(path);
  t.false(second instanceof Lock);
  t.is((second as { pid: number }).pid, process.pid);
  (lock as Lock).release();
  t.is(inspectLock(path), 'free');

  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(path, JSON.stringify({ pid: dead, host: HOST, started: new Date().toISOString(), token: 'old' }));
  const taken = Lock.acquire(path);
  t.true(taken instanceof Lock, 'a dead local owner is taken over');
  (taken as Lock).release();

  // Another host's clock is not ours: an mtime far in the past is no evidence; only watching it not change is.
  const staleMs = 300;
  const sleep = () => new Promise((resolve) => setTimeout(resolve, staleMs + 50));
  writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', started: new Date().toISOString(), token: 'far' }));
  const old = new Date(Date.now() - 10 * 60_000);
  utimesSync(path, old, old);
  t.false(
    Lock.acquire(path, { staleMs }) instanceof Lock,
    'a lock of another host is respected when first seen, however old its mtime',
  );
  await sleep();
  const beat = new Date(Date.now() - 9 * 60_000);
  utimesSync(path, beat, beat);
  t.false(Lock.acquire(path, { staleMs }) instanceof Lock, 'a heartbeat seen since the last look keeps it live');
  const state = inspectLock(path, staleMs);
  t.true(state !== 'free' && state.live);
  await sleep();
  const fromHost = Lock.acquire(path, { staleMs });
  t.true(fromHost instanceof Lock, 'a lock watched without a heartbeat for longer than the timeout is taken over');
  (fromHost as Lock).release();

  writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', started: new Date().toISOString(), token: 'far2' }));
  const seen = inspectLock(path);
  t.true(seen !== 'free' && seen.live);
  t.false(
    Lock.acquire(path, { staleSignature: 'another' }) instanceof Lock,
    'a signature of some other lock is not this one',
  );
  const handed = Lock.acquire(path, { staleSignature: (seen as { signature: string }).signature });
  t.true(handed instanceof Lock, 'a lock someone else watched go stale (the signature it saw) is taken over at once');
  (handed as Lock).release();

  // An ownerless lock (a crash between create and write, by an older writer): respected briefly, then taken over.
  writeFileSync(path, '');
  t.false(Lock.acquire(path, { staleMs }) instanceof Lock, 'a fresh empty lock may still be being written');
  await sleep();
  const fromEmpty = Lock.acquire(path, { staleMs });
  t.true(fromEmpty instanceof Lock, 'an empty lock watched for the timeout is taken over');
  t.is(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid, 'a lock appears with its owner written');
  (fromEmpty as Lock).release();
  t.deepEqual(readdirSync(dir), [], 'no temp files are left behind');
});

test('store: objects round-trip with metadata, corruption is caught, truncated records are ignored', async (t) => {
  const store = new Store(tmp());
  const table = makeTable({ x: Float64Array.of(1.5, 2.5, 4), n: Int32Array.of(1, 2, 3) });
  table.schema.metadata.set('generation', '3');
  const hash = await store.putObject(table);
  t.is(await store.putObject(table), hash, 'same content, same name');
  // Writing an existing object touches it: gc spares objects newer than the oldest running node.
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(store.objectPath(hash), old, old);
  await store.putObject(table);
  t.true(
    Date.now() - statSync(store.objectPath(hash)).mtimeMs < 60_000,
    'an existing object is touched when written again',
  );
  const back = await store.getObject(hash);
  t.deepEqual([...back.getChild('x')!.toArray()], [1.5, 2.5, 4]);
  t.is(back.schema.metadata.get('generation'), '3');

  // A second Arrow implementation reads the object file as is (nodejs-polars exposes no schema metadata).
  // pl.readIPC(string) takes a string for a path only if it ends in '.ipc' and otherwise parses the string
  // itself, so a '.arrow' path goes through scanIPC, or readIPC of the file's bytes.
  for (const df of [
    pl.scanIPC(store.objectPath(hash)).collectSync(),
    pl.readIPC(readFileSync(store.objectPath(hash))),
  ]) {
    t.deepEqual(df.columns, ['x', 'n']);
    t.deepEqual([...df.getColumn('x').toArray()], [1.5, 2.5, 4]);
    t.deepEqual([...df.getColumn('n').toArray()], [1, 2, 3]);
  }

  const manifest = { stage: 'toy', code: 'c', params: { lambda: 0.5 }, inputs: {}, seed: 1 };
  const k1 = cacheKey(manifest);
  const record = store.commitRun({
    key: k1,
    sid: 's1',
    ids: ['a'],
    stage: 'toy',
    outputs: { data: hash },
    metrics: { loss: 0.5 },
    manifest,
    startedAt: '',
    finishedAt: '',
    seconds: 0,
    host: HOST,
    pid: process.pid,
    log: `logs/${k1}.log`,
  });
  // Only the index can answer with the original once the record file holds other bytes under the same stamp.
  const stamp = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000); // whole ms: survives the stat round trip
  utimesSync(store.runPath(k1), stamp, stamp);
  store.compactIndex([record]);
  const impostor = JSON.stringify({ ...record, metrics: { loss: 0.9 } }, null, 2) + '\n';
  t.is(Buffer.byteLength(impostor), statSync(store.runPath(k1)).size);
  writeFileSync(store.runPath(k1), impostor);
  utimesSync(store.runPath(k1), stamp, stamp);
  t.deepEqual(new Store(store.root).lookupRun(k1), record, 'found through the index by a fresh reader');
  // A rerun whose index append was lost, with a record of the same byte size: the index entry must not answer.
  const rerun = withChecksum({ ...record, metrics: { loss: 0.7 } });
  writeFileSync(store.runPath(k1), JSON.stringify(rerun, null, 2) + '\n');
  const later = new Date(Date.now() + 5_000);
  utimesSync(store.runPath(k1), later, later);
  t.is(statSync(store.runPath(k1)).size, Buffer.byteLength(JSON.stringify(record, null, 2) + '\n'));
  t.deepEqual(new Store(store.root).lookupRun(k1), rerun, 'the record file wins over an index entry of the same size');
  truncateSync(store.runPath(k1), 20);
  const fresh = new Store(store.root);
  t.is(fresh.lookupRun(k1), undefined);
  t.regex(fresh.warnings.join('\n'), /ignoring unreadable run record/);

  const bytes = readFileSync(store.objectPath(hash));
  bytes[100] ^= 1;
  writeFileSync(store.objectPath(hash), bytes);
  await t.throwsAsync(() => store.getObject(hash), { instanceOf: CorruptObjectError });
  t.false(new Store(store.root).verifyRun(record));
});

test('the executor refuses a jobs count that is not a positive integer', (t) => {
  const store = new Store(tmp());
  for (const jobs of [NaN, 0, -1, 1.5])
    t.throws(() => new LocalExecutor({ store, jobs }), { message: /jobs must be a positive integer/ });
  t.notThrows(() => new LocalExecutor({ store, jobs: 1 }));
});

test('manifest diffs name the field that changed', (t) => {
  const base = { stage: 'train', code: 'a', params: { cycle: { lambda: 0.5 } }, inputs: { weights: 'h1' }, seed: 1 };
  t.deepEqual(diffManifests(base, { ...base, params: { cycle: { lambda: 0.75 } }, seed: 2 }), [
    'params.cycle.lambda: 0.5 → 0.75',
  ]);
  t.deepEqual(diffManifests(base, { ...base, code: 'b', inputs: { weights: 'h2' } }), [
    'code fingerprint changed',
    'input weights changed',
  ]);
  t.deepEqual(diffManifests(base, { ...base, seed: 9 }), ['seed: 1 → 9']);
});
