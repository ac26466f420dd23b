/**
 * How a repro ends when it is told to (issue 27): SIGTERM and SIGHUP as Ctrl-C, workers that outlive a killed
 * coordinator, and the debris of a lock write cut short.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, processAlive } from '../engine/store/files.ts';
import { finished, waitFor, Workspace } from './fixtures/engine/harness.ts';

function steps(ws: Workspace, stage: string): number {
  return ws.counterLines().filter((l) => l.startsWith(`${stage} step`)).length;
}

/** The pids holding the store's locks: the pool's workers. */
function lockHolders(ws: Workspace): number[] {
  const dir = join(ws.store, 'locks');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lock'))
    .map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number }).pid);
}

/** Spawns a repro whose spin node (a worker that never yields) is running; kills what is left when the test ends. */
async function spinning(t: { teardown(fn: () => void): void }, ws: Workspace) {
  const child = ws.spawn(['repro', '--jobs', '1']);
  const done = finished(child);
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  await waitFor(() => steps(ws, 'spin') >= 2);
  const [worker] = lockHolders(ws);
  t.teardown(() => {
    if (processAlive(worker)) process.kill(worker, 'SIGKILL');
  });
  return { child, done, worker };
}

// 60 s of computing that never yields, in 100 ms steps with a progress report after each.
const SPIN = { spin: { steps: 600, ms: 100 } };

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} to the process group stops like Ctrl-C: exit ${code}, the lock of what finished, locks released`, async (t) => {
    const ws = new Workspace({ params: { slow: { steps: 100, sleepMs: 100 } } });
    const child = ws.spawn(['repro', '--jobs', '1']);
    const done = finished(child);
    await waitFor(() => steps(ws, 'slow') >= 2);
    process.kill(-child.pid!, signal);
    const result = await done;
    t.is(result.code, code, `${result.signal} ${result.stdout}${result.stderr}`);
    t.regex(result.stderr, new RegExp(`stopped by ${signal}: stopping running stages`));
    t.regex(result.stdout, /5 nodes: 0 cached, 4 ran, 0 failed, 1 not run in [\d.]+s \(interrupted\)/);
    t.deepEqual(Object.keys(ws.lock().nodes).sort(), ['combine', 'scale', 'shift', 'source']);
    t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
    t.is(readdirSync(join(ws.store, 'checkpoints')).length, 1, "slow's checkpoint kept for the next run");
  });
}

test('a coordinator killed by SIGKILL: its worker, computing without yielding, leaves at its next progress report and releases its lock', async (t) => {
  const ws = new Workspace({ params: SPIN });
  const { child, done, worker } = await spinning(t, ws);
  process.kill(child.pid!, 'SIGKILL'); // the coordinator alone, as the OOM killer would
  t.is((await done).signal, 'SIGKILL');
  await waitFor(() => !processAlive(worker), 10_000);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
  t.true(steps(ws, 'spin') < 100, `${steps(ws, 'spin')} steps: the worker stopped soon after`);
});

test('SIGTERM to the coordinator alone while its worker never yields: the worker is killed after the grace period, exit 143', async (t) => {
  const ws = new Workspace({ params: SPIN });
  const { child, done, worker } = await spinning(t, ws);
  process.kill(child.pid!, 'SIGTERM');
  const result = await done;
  t.is(result.code, 143, `${result.signal} ${result.stdout}${result.stderr}`);
  t.deepEqual(Object.keys(ws.lock().nodes).sort(), ['combine', 'scale', 'shift', 'source']);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), [], 'the pool released the lock of the worker it killed');
  await waitFor(() => !processAlive(worker), 5_000);
});

test('the temp file of a lock write that a kill -9 cut short is removed by the next repro; git ignores it', async (t) => {
  const ws = new Workspace();
  const dead = join(ws.dir, `.tmp-${HOST}~${spawnSync(process.execPath, ['-e', '0']).pid}~k3x`);
  const live = join(ws.dir, `.tmp-${HOST}~${process.pid}~k3y`); // a writer still at work: not for us to remove
  const other = join(ws.dir, '.tmp-not-one-of-ours');
  for (const path of [dead, live, other]) writeFileSync(path, '{ "version": 1, "nod');
  const result = await ws.run(['repro', '--jobs', '1']);
  t.is(result.code, 0, result.stdout + result.stderr);
  t.false(existsSync(dead));
  t.true(existsSync(live));
  t.true(existsSync(other));
  // The checkout's .gitignore covers the name wherever a lock is written.
  t.notThrows(() => execFileSync('git', ['check-ignore', '-q', `presets/.tmp-${HOST}~1~abc`]));
});

test('the summary line comes after the lock is written: a lock that cannot be written gets an error and no summary', async (t) => {
  const ws = new Workspace();
  const lock = join(ws.dir, 'missing-dir', 'pipeline.lock');
  const result = await ws.run(['repro', '--jobs', '1', '--set', `lock=${lock}`]);
  t.is(result.code, 1, result.stdout + result.stderr);
  t.regex(result.stderr, /^error: .*missing-dir.*$/m);
  t.regex(result.stdout, /ran {5}combine/);
  t.notRegex(result.stdout, /nodes:/);
});
