/**
 * Crash safety and concurrency: SIGKILL during a stage and during a commit, Ctrl-C, two repro processes on one
 * store, failing and crashing nodes, corrupt objects and truncated run records.
 */
import test from 'ava';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ExecEvent } from '../engine/run/executor.ts';
import { LocalExecutor } from '../engine/transports/local.ts';
import { buildPlan } from '../engine/plan/graph.ts';
import { hashBytes } from '../engine/store/hash.ts';
import { Store } from '../engine/store/store.ts';
import { finished, referenceLock, waitFor, Workspace } from './fixtures/engine/harness.ts';
import { toyLoader } from './fixtures/engine/toy-graph.ts';

/** A worker that dies by SIGKILL after shift's output object is written and before its run record is. */
const CRASH_WORKER = new URL('./fixtures/engine/crash-worker.ts', import.meta.url);

// Long enough (4.5 s) that a test that kills it after a few steps finds it still running on a loaded machine; at
// 8 steps a test process starved for over a second saw it finish first.
const SLOW = { steps: 30, sleepMs: 150 };

function slowSteps(ws: Workspace): number[] {
  return ws
    .counterLines()
    .filter((l) => l.startsWith('slow step'))
    .map((l) => Number(l.split(' ')[2]));
}

function verifyStore(ws: Workspace): void {
  for (const file of readdirSync(join(ws.store, 'objects')).filter((f) => f.endsWith('.arrow'))) {
    if (hashBytes(readFileSync(join(ws.store, 'objects', file))) !== file.slice(0, -6))
      throw new Error(`object ${file} is corrupt`);
  }
  for (const file of readdirSync(join(ws.store, 'runs')).filter((f) => f.endsWith('.json'))) {
    const record = JSON.parse(readFileSync(join(ws.store, 'runs', file), 'utf8')) as {
      outputs: Record<string, string>;
    };
    for (const hash of Object.values(record.outputs))
      if (!existsSync(join(ws.store, 'objects', `${hash}.arrow`))) throw new Error(`run ${file} lacks ${hash}`);
  }
}

test('kill -9 during a stage: the next repro resumes it from its checkpoint and reruns nothing committed', async (t) => {
  const reference = referenceLock({ slow: SLOW });
  const ws = new Workspace({ params: { slow: SLOW } });
  const child = ws.spawn(['repro', '--jobs', '1']);
  const done = finished(child);
  await waitFor(() => slowSteps(ws).length >= 3);
  process.kill(-child.pid!, 'SIGKILL');
  t.is((await done).signal, 'SIGKILL');
  t.is(readdirSync(join(ws.store, 'checkpoints')).filter((f) => f.endsWith('.arrow')).length, 1);

  const before = slowSteps(ws).length;
  const again = await ws.run(['repro', '--jobs', '1']);
  t.is(again.code, 0, again.stdout + again.stderr);
  const resumedAt = slowSteps(ws)[before];
  t.true(resumedAt >= 2, `resumed at step ${resumedAt}`);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1, slow: before + SLOW.steps - resumedAt });
  t.deepEqual(readdirSync(join(ws.store, 'checkpoints')), []);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), [], "the dead repro's locks were taken over and released");
  t.deepEqual(ws.lock(), await reference);
  verifyStore(ws);
});

test('kill -9 between writing an object and its run record: the next repro completes the store', async (t) => {
  const reference = referenceLock({});
  const ws = new Workspace();
  // In-process, so only the worker dies; the store is left as a power cut would leave it.
  const plan = buildPlan((await toyLoader({ set: [] })).nodes);
  const { outcomes } = await new LocalExecutor({ store: new Store(ws.store), jobs: 1, worker: CRASH_WORKER }).run(
    plan,
    { event() {} },
  );
  const outcome = (id: string) => outcomes.get(plan.byId.get(id)!.sid)!;
  t.deepEqual(
    ['source', 'scale', 'shift', 'combine'].map((id) => outcome(id).status),
    ['ran', 'ran', 'failed', 'blocked'],
  );
  t.like(outcome('shift'), { crashed: true, error: 'worker process died (SIGKILL) while running it' });
  t.is(readdirSync(join(ws.store, 'objects')).length, 3); // source, scale, and shift's uncommitted output
  t.true(existsSync(join(ws.store, 'objects', `${(await reference).nodes.shift.outputs.data}.arrow`)));
  t.is(readdirSync(join(ws.store, 'runs')).length, 2);

  const again = await ws.run(['repro', '--jobs', '1']);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /4 nodes: 2 cached, 2 ran/);
  t.deepEqual(ws.counts(), { shift: 1, combine: 1 }); // the CLI's runs only: the in-process workers count nothing
  t.deepEqual(ws.lock(), await reference);
  verifyStore(ws);
});

test('Ctrl-C stops cleanly with exit 130, releases locks, and keeps the checkpoint', async (t) => {
  // Long enough that slow is still running when `status` has started, which took over 10 s in the full suite.
  const ws = new Workspace({ params: { slow: { steps: 1000, sleepMs: 100 } } });
  const child = ws.spawn(['repro', '--jobs', '1']);
  const done = finished(child);
  await waitFor(() => slowSteps(ws).length >= 2);
  const status = await ws.run(['status']);
  // The lock is the worker's: a process of this repro's pool.
  const holder = /running {2}slow {2}— running: pid (\d+)/.exec(status.stdout);
  t.truthy(holder, status.stdout);
  t.is(
    Number(readFileSync(`/proc/${holder![1]}/stat`, 'utf8').split(') ')[1].split(' ')[1]),
    child.pid!,
    'held by a worker of this repro',
  );
  process.kill(-child.pid!, 'SIGINT'); // a terminal sends it to the whole process group
  const result = await done;
  t.is(result.code, 130, result.stdout + result.stderr);
  t.regex(result.stdout, /\(interrupted\)/);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
  t.is(readdirSync(join(ws.store, 'checkpoints')).length, 1);
  t.false('slow' in ws.lock().nodes);
  t.true('combine' in ws.lock().nodes);
});

test('two repro processes on one store: each node runs once, both finish, the store verifies', async (t) => {
  const ws = new Workspace({ params: { sweep: { offset: [1, 2, 3, 4] }, slow: { steps: 3, sleepMs: 60 } } });
  const [a, b] = await Promise.all([ws.run(['repro', '--jobs', '2']), ws.run(['repro', '--jobs', '2'])]);
  t.is(a.code, 0, a.stdout + a.stderr);
  t.is(b.code, 0, b.stdout + b.stderr);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 4, combine: 4, slow: 12 });
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
  t.is(Object.keys(ws.lock().nodes).length, 20);
  verifyStore(ws);
});

test('a failing node stops only its descendants; the error names it and its log is kept', async (t) => {
  const ws = new Workspace({ params: { fail: true } });
  const result = await ws.run(['repro', '--jobs', '2']);
  t.is(result.code, 1);
  const failure = /FAILED {2}fail: toy failure on purpose \(log: (.+\.log)\)/.exec(result.stdout);
  t.truthy(failure, result.stdout);
  t.regex(readFileSync(failure![1], 'utf8'), /about to fail on purpose[\s\S]*toy failure on purpose/);
  t.regex(result.stdout, /blocked after: upstream fail failed/);
  t.regex(result.stdout, /6 nodes: 0 cached, 4 ran, 1 failed, 1 blocked by failures/);
  t.deepEqual(Object.keys(ws.lock().nodes).sort(), ['combine', 'scale', 'shift', 'source']);

  const crash = await ws.run(['repro', '--jobs', '2'], { TOY_FAIL: 'crash' });
  t.is(crash.code, 1);
  t.regex(crash.stdout, /FAILED {2}fail: worker process died \(SIGKILL\)/);
});

test('a corrupt object is detected and recomputed; a truncated run record is ignored', async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  const lock = ws.lock();
  const flip = (hash: string) => {
    const path = join(ws.store, 'objects', `${hash}.arrow`);
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
  };

  // Read as an input: shift must rerun (new offset), finds scale's output corrupt, scale is recomputed first.
  flip(lock.nodes.scale.outputs.data);
  const rerun = await ws.run(['repro', '--jobs', '1', '--set', 'offset=5']);
  t.is(rerun.code, 0, rerun.stdout + rerun.stderr);
  t.regex(rerun.stderr, /corrupt/);
  t.deepEqual(ws.counts(), { source: 1, scale: 2, shift: 2, combine: 2 });
  t.is(ws.lock().nodes.scale.outputs.data, lock.nodes.scale.outputs.data);

  // Nothing to run, but --verify re-hashes cached outputs.
  flip(ws.lock().nodes.combine.outputs.data);
  t.regex((await ws.run(['repro', '--jobs', '1', '--set', 'offset=5'])).stdout, /nothing to do/);
  const verified = await ws.run(['repro', '--jobs', '1', '--set', 'offset=5', '--verify']);
  t.is(verified.code, 0);
  t.deepEqual(ws.counts(), { source: 1, scale: 2, shift: 2, combine: 3 });

  const record = join(ws.store, 'runs', `${ws.lock().nodes.shift.key}.json`);
  truncateSync(record, 40);
  const afterTruncation = await ws.run(['repro', '--jobs', '1', '--set', 'offset=5']);
  t.is(afterTruncation.code, 0, afterTruncation.stderr);
  t.regex(afterTruncation.stderr, /ignoring unreadable run record/);
  t.deepEqual(ws.counts(), { source: 1, scale: 2, shift: 3, combine: 3 });
  verifyStore(ws);
});

test('a lock file left empty by a crash is taken over once it is old, and its node runs', async (t) => {
  const ws = new Workspace();
  const dry = JSON.parse((await ws.run(['repro', '--dry', '--json'])).stdout) as Array<{
    ids: string[];
    key: string | null;
  }>;
  const lockPath = join(ws.store, 'locks', `${dry.find((s) => s.ids[0] === 'source')!.key}.lock`);
  mkdirSync(join(ws.store, 'locks'), { recursive: true }); // repro --dry reads the store; it does not create it
  writeFileSync(lockPath, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(lockPath, old, old);
  const child = ws.spawn(['repro', '--jobs', '1']);
  // Before the fix this waited forever for "pid 0 on unknown". The guard only has to end a hang: 30 s was too short
  // for this 4-node repro beside the rest of the suite on 2 cores (killed after it had started `source`).
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 150_000);
  const result = await finished(child);
  clearTimeout(timer);
  t.is(result.code, 0, result.stdout + result.stderr);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1 });
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
});

/** A store on which an object exists when first looked up, then is gone: a concurrent gc deleted it in between. */
class VanishingStore extends Store {
  private seen = false;

  constructor(
    root: string,
    private readonly vanishing: string,
  ) {
    super(root);
  }

  override hasObject(hash: string): boolean {
    if (hash !== this.vanishing || this.seen) return super.hasObject(hash);
    this.seen = true;
    return true;
  }
}

test('an input deleted after its producer was found cached is recomputed, and its consumer runs', async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  const scaled = ws.lock().nodes.scale.outputs.data;
  rmSync(join(ws.store, 'objects', `${scaled}.arrow`));
  const store = new VanishingStore(ws.store, scaled);
  // A new offset: shift must run and read scale's output, which the executor believes exists.
  const plan = buildPlan((await toyLoader({ set: ['offset=5'] })).nodes);
  const { outcomes } = await new LocalExecutor({ store, jobs: 1 }).run(plan, { event() {} });
  const status = (id: string) => outcomes.get(plan.byId.get(id)!.sid)!.status;
  t.deepEqual(['source', 'scale', 'shift', 'combine'].map(status), ['cached', 'ran', 'ran', 'ran']);
  t.regex(store.warnings.join('\n'), new RegExp(`object ${scaled} is missing`));
  t.true(store.hasObject(scaled), 'recomputed to the same bytes');
});

test('an interrupt that arrives while a worker is still loading its stage stops the node', async (t) => {
  const store = new Store(new Workspace().store);
  const plan = buildPlan((await toyLoader({ set: [] })).nodes);
  const controller = new AbortController();
  // The first node starts in a fresh worker, which is still importing when the abort comes.
  const hooks = {
    event: (e: ExecEvent) => {
      if (e.type === 'running') controller.abort();
    },
  };
  const result = await new LocalExecutor({ store, jobs: 1, signal: controller.signal, graceMs: 60_000 }).run(
    plan,
    hooks,
  );
  t.true(result.interrupted);
  t.is(result.outcomes.get(plan.byId.get('source')!.sid)?.status, 'interrupted');
  t.deepEqual(readdirSync(join(store.root, 'runs')), []);
});
