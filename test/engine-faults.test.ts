/**
 * Faults the store must survive (issue 14): a full disk, a read-only store, tampered run records, a command that
 * reads a store it must not create, and the temp file of a writer killed mid-checkpoint.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST } from '../engine/store/files.ts';
import { recordChecksum, type RunRecord } from '../engine/store/record.ts';
import { finished, referenceLock, waitFor, Workspace, type Result } from './fixtures/engine/harness.ts';

const SLOW = { slow: { steps: 5, sleepMs: 10 } };
const ROOT = process.getuid?.() === 0;
const CI = process.env.CI === 'true';

/** Every file under `dir` whose name marks it as a temp file. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) =>
    path.split('/').pop()!.startsWith('.tmp-'),
  );
}

/** The error of a failed command: one line, prefixed, with no stack trace anywhere on stderr. */
function errorOf(result: Result): string {
  const lines = result.stderr.trimEnd().split('\n');
  if (result.stderr.includes('\n    at ')) throw new Error(`a stack trace:\n${result.stderr}`);
  return lines.filter((line) => line.startsWith('error: ')).join('\n');
}

function runKeys(store: string): string[] {
  return readdirSync(join(store, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

function recordOf(ws: Workspace, id: string): { path: string; record: RunRecord } {
  const path = join(ws.store, 'runs', `${ws.lock().nodes[id].key}.json`);
  return { path, record: JSON.parse(readFileSync(path, 'utf8')) as RunRecord };
}

/** A pid that is certainly not running now: a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

const mountTest = ROOT || CI ? test : test.skip;
if (!ROOT && !CI)
  console.log('engine-faults: the full-disk test mounts a tmpfs and needs root; skipped (it runs under CI=true)');

mountTest(
  'a full disk: one line naming the path, exit 1, the lock of what committed, no debris; the resume completes it',
  async (t) => {
    const reference = referenceLock(SLOW);
    const ws = new Workspace({ params: SLOW });
    mkdirSync(ws.store);
    // 12 pages: room for the first few nodes, not for all of them.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', ws.store]);
    t.teardown(() => execFileSync('umount', [ws.store]));

    const full = await ws.run(['repro', '--jobs', '1']);
    t.is(full.code, 1, full.stdout + full.stderr);
    const error = errorOf(full);
    t.regex(
      error,
      new RegExp(
        `^error: ${ws.store}/\\S+: no space left on the device \\(ENOSPC, \\w+\\); free space on that file system`,
      ),
    );
    const committed = runKeys(ws.store);
    t.true(
      committed.length > 0 && committed.length < 5,
      `${committed.length} of 5 nodes committed before the disk was full`,
    );
    t.deepEqual(
      Object.values(ws.lock().nodes)
        .map((n) => n.key)
        .sort(),
      committed,
      'the lock holds every committed node',
    );
    t.deepEqual(readdirSync(join(ws.store, 'locks')), [], 'no lock of the process left behind');
    t.deepEqual(tempFiles(ws.store), [], 'no temp file left behind');

    execFileSync('mount', ['-o', 'remount,size=4m', ws.store]);
    const resumed = await ws.run(['repro', '--jobs', '1']);
    t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
    t.deepEqual(ws.lock(), await reference);
    t.deepEqual(JSON.parse((await ws.run(['gc', '--json'])).stdout).items, [], 'nothing for gc');

    // The same store mounted read-only, with something for gc to delete: root too gets EROFS.
    writeFileSync(join(ws.store, 'objects', `.tmp-${HOST}~${deadPid()}~x`), 'half an object');
    execFileSync('mount', ['-o', 'remount,ro', ws.store]);
    const gc = await ws.run(['gc', '--force']);
    t.is(gc.code, 1, gc.stderr);
    t.regex(
      errorOf(gc),
      new RegExp(
        `^error: ${ws.store}/objects/\\S+: the file system is read-only \\(EROFS, unlink\\); remount it read-write`,
      ),
    );
  },
);

test('a read-only store: gc --force and repro fail with one line naming the path, status still reads it', async (t) => {
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);
  writeFileSync(join(ws.store, 'objects', `.tmp-${HOST}~${deadPid()}~x`), 'half an object');
  const lockDir = mkdtempSync(join(tmpdir(), 'engine-faults-lock-'));
  // Root ignores mode bits: as root the commands run as nobody, for whom a store owned by root is read-only.
  const user = ROOT ? 'nobody' : undefined;
  chmodSync(ws.dir, 0o755);
  chmodSync(lockDir, 0o777);
  if (!user) execFileSync('chmod', ['-R', 'a-w', ws.store]);
  t.teardown(() => execFileSync('chmod', ['-R', 'u+w', ws.store]));

  const gc = await ws.run(['gc', '--force'], {}, user);
  t.is(gc.code, 1, gc.stderr);
  t.regex(
    errorOf(gc),
    new RegExp(
      `^error: ${ws.store}/objects/\\S+: permission denied \\(EACCES, unlink\\); .*\\(deleted 0 of 1 files before this one\\)$`,
    ),
  );
  t.true(existsSync(join(ws.store, 'objects')));

  const status = await ws.run(['status'], {}, user);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /4 nodes: 4 cached, 0 missing/);

  // A changed offset makes shift and combine run; taking their lock is the first write.
  const lock = join(lockDir, 'pipeline.lock');
  const repro = await ws.run(['repro', '--set', 'offset=5', '--set', `lock=${lock}`], {}, user);
  t.is(repro.code, 1, repro.stdout + repro.stderr);
  t.regex(errorOf(repro), new RegExp(`^error: ${ws.store}/locks: permission denied \\(EACCES, open\\); `));
  t.deepEqual(
    Object.keys(JSON.parse(readFileSync(lock, 'utf8')).nodes).sort(),
    ['scale', 'source'],
    'the lock of the nodes that were cached',
  );
});

test('a tampered run record is treated as missing with a warning naming it, and its node reruns', async (t) => {
  const reference = await referenceLock({});
  const ws = new Workspace();
  t.is((await ws.run(['repro', '--jobs', '1'])).code, 0);

  // The attack of the issue: a record's output pointed at another valid object.
  const shift = recordOf(ws, 'shift');
  const other = reference.nodes.scale.outputs.data;
  writeFileSync(shift.path, readFileSync(shift.path, 'utf8').replaceAll(shift.record.outputs.data, other));
  const edited = await ws.run(['repro', '--jobs', '1']);
  t.is(edited.code, 0, edited.stderr);
  t.true(edited.stderr.includes(`warning: ignoring run record ${shift.path}: it fails its checksum`), edited.stderr);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 2, combine: 1 });
  t.deepEqual(ws.lock(), reference);

  // A record whose checksum is valid but which describes another object than it names (a writer's bug, or a
  // deliberate forgery) passes a plain repro; --verify compares size and Arrow footer and reruns it. (Source's
  // table has another shape than combine's; one of the same shape would pass, as only the checksum can tell.)
  const combine = recordOf(ws, 'combine');
  const forged = { ...combine.record, outputs: { data: reference.nodes.source.outputs.data } };
  writeFileSync(combine.path, JSON.stringify({ ...forged, checksum: recordChecksum(forged) }, null, 2) + '\n');
  const verified = await ws.run(['repro', '--jobs', '1', '--verify']);
  t.is(verified.code, 0, verified.stderr);
  t.regex(
    verified.stderr,
    new RegExp(
      `warning: run record ${combine.path} says output 'data' \\(${forged.outputs.data}\\) is \\d+ bytes with footer \\w+, but that object is \\d+ bytes with footer \\w+; treated as missing`,
    ),
  );
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 2, combine: 2 });
  t.deepEqual(ws.lock(), reference);

  // A record from before checksums: treated as missing (one warning for all of them), rerun, rewritten.
  const source = recordOf(ws, 'source');
  const { checksum: _, outputInfo: __, ...legacy } = source.record;
  writeFileSync(source.path, JSON.stringify({ ...legacy, version: 1 }, null, 2) + '\n');
  const old = await ws.run(['repro', '--jobs', '1']);
  t.is(old.code, 0, old.stderr);
  t.regex(
    old.stderr,
    /warning: ignoring run records written before records carried checksums \(e\.g\. .*\.json\); their nodes rerun/,
  );
  t.is(ws.counts().source, 2);
  t.deepEqual(ws.lock(), reference);
  t.deepEqual(JSON.parse((await ws.run(['gc', '--json'])).stdout).items, [], 'nothing for gc');
});

test('commands that read a store never create one', async (t) => {
  const ws = new Workspace();
  for (const args of [['show', 'abc'], ['gc'], ['gc', '--force']]) {
    const result = await ws.run(args);
    t.is(result.code, 1, args.join(' '));
    t.is(errorOf(result), `error: no store at ${ws.store}: give --store DIR or set PIPELINE_STORE`, args.join(' '));
  }
  for (const args of [['status'], ['repro', '--dry']]) {
    const result = await ws.run(args);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stderr, /warning: no store at .* yet: every node is missing/);
  }
  t.false(existsSync(ws.store));
});

test('a checkpoint half-written when a kill -9 struck is removed by the repro that completes the node', async (t) => {
  // 4.5 s of steps: a test process starved on a loaded machine must still find the node running.
  const ws = new Workspace({ params: { slow: { steps: 30, sleepMs: 150 } } });
  const child = ws.spawn(['repro', '--jobs', '1']);
  const done = finished(child);
  const checkpoints = join(ws.store, 'checkpoints');
  const saved = () => (existsSync(checkpoints) ? readdirSync(checkpoints).filter((f) => !f.startsWith('.tmp-')) : []);
  await waitFor(() => saved().length > 0 && ws.counterLines().filter((l) => l.startsWith('slow step')).length >= 3);
  process.kill(-child.pid!, 'SIGKILL');
  await done;
  // What a kill between the temp file's creation and its rename leaves: a partial checkpoint of a dead writer.
  const partial = join(checkpoints, `.tmp-${HOST}~${deadPid()}~x`);
  writeFileSync(partial, readFileSync(join(checkpoints, saved()[0])).subarray(0, 64));

  const resumed = await ws.run(['repro', '--jobs', '1']);
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  t.deepEqual(readdirSync(join(ws.store, 'checkpoints')), []);
  t.deepEqual(tempFiles(ws.store), []);
  t.deepEqual(JSON.parse((await ws.run(['gc', '--json'])).stdout).items, [], 'nothing for gc');
});
