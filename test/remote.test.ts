/**
 * push and pull, through the real CLI, of a micro run's lock: to a directory and back into an empty store, after
 * which report draws training curves and repro finds everything cached; an interrupted push resumes; a corrupt
 * object on the remote is refused by name. The same over SSH against the sshd of .ci/start-sshd.sh, and over a
 * stand-in for ssh (test/fixtures/fake-ssh.sh) whose link alters bytes: a push whose bytes arrive changed keeps nothing.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLockFile } from '../engine/store/lock-file.ts';
import { DirectoryRemote, push } from '../engine/remote/sync.ts';
import { recordChecksum, type RunRecord } from '../engine/store/record.ts';
import { Store } from '../engine/store/store.ts';
import { MICRO } from './fixtures/micro.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'remote-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const SSH_CONFIG = '/tmp/pipeline-sshd/ssh_config';

function pipeline(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'pipeline.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}
function ok(args: string[], env?: Record<string, string>): string {
  const result = pipeline(args, env);
  if (result.status !== 0)
    throw new Error(`pipeline ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const SETS = [...MICRO, 'generations=2', 'sweep.cycle.name=[full_synthetic]', 'data.n=48'].flatMap((s) => ['--set', s]);
let made: Promise<{ files: number }> | undefined;
/** The micro run, once: its lock (run.lock) and store; `files` is the number of objects and run records it needs. */
const run = () =>
  (made ??= Promise.resolve().then(() => {
    copyFileSync(join(ROOT, 'params.yaml'), join(dir, 'run.yaml'));
    ok(['repro', '-p', 'run.yaml', '--store', 'store', '--jobs', '2', ...SETS]);
    const lock = parseLockFile(readFileSync(join(dir, 'run.lock'), 'utf8'), 'run.lock');
    const nodes = Object.values(lock.nodes);
    return {
      files: new Set(nodes.flatMap((n) => Object.values(n.outputs))).size + new Set(nodes.map((n) => n.key)).size,
    };
  }));

test.serial(
  'push to a directory, pull into an empty store: report draws training curves, repro finds all cached',
  async (t) => {
    const { files } = await run();
    t.is(
      ok(['push', 'remote', '--store', 'store', '--lock', 'run.lock']).trim(),
      `pushed ${files} file(s), 0 already there (run.lock, remote)`,
    );
    t.is(
      ok(['push', 'remote', '--store', 'store', '--lock', 'run.lock']).trim(),
      `pushed 0 file(s), ${files} already there (run.lock, remote)`,
    );
    t.is(
      ok(['pull', 'remote', '--store', 'laptop', '--lock', 'run.lock']).trim(),
      `pulled ${files} file(s), 0 already there (run.lock, remote)`,
    );
    const report = ok(['report', '--lock', 'run.lock', '--store', 'laptop', '-o', 'rep']);
    t.notRegex(report, /(training-curves|sample-shapes) not drawn/);
    t.true(existsSync(join(dir, 'rep', 'training-curves.svg')) && existsSync(join(dir, 'rep', 'sample-shapes.svg')));
    const repro = ok(['repro', '-p', 'run.yaml', '--store', 'laptop', '--jobs', '2', ...SETS]);
    t.regex(repro, /^nothing to do: all \d+ nodes cached/m);
  },
);

test.serial('an interrupted push leaves no run record without its objects and resumes where it stopped', async (t) => {
  const { files } = await run();
  const lock = parseLockFile(readFileSync(join(dir, 'run.lock'), 'utf8'), 'run.lock');
  const remote = new DirectoryRemote(join(dir, 'interrupted'));
  // The transfer dies at its fourth file.
  let writes = 0;
  const failing = Object.assign(Object.create(remote) as DirectoryRemote, {
    write: async (path: string, bytes: Buffer) => {
      if (++writes > 3) throw new Error('connection lost');
      return remote.write(path, bytes);
    },
  });
  await t.throwsAsync(push(new Store(join(dir, 'store'), { create: false }), lock, failing), {
    message: 'connection lost',
  });
  t.is(readdirSync(join(dir, 'interrupted', 'objects')).length, 3);
  t.false(existsSync(join(dir, 'interrupted', 'runs')));
  t.is(
    ok(['push', 'interrupted', '--store', 'store', '--lock', 'run.lock']).trim(),
    `pushed ${files - 3} file(s), 3 already there (run.lock, interrupted)`,
  );
});

test.serial('a corrupt object on the remote is refused on pull, by name, and not kept', async (t) => {
  await run();
  ok(['push', 'corrupt', '--store', 'store', '--lock', 'run.lock']);
  const object = readdirSync(join(dir, 'corrupt', 'objects'))[0]!;
  const path = join(dir, 'corrupt', 'objects', object);
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
  const result = pipeline(['pull', 'corrupt', '--store', 'fresh', '--lock', 'run.lock']);
  t.is(result.status, 1);
  t.is(
    result.stderr.trim(),
    `error: corrupt's object ${object.slice(0, -'.arrow'.length)} is corrupt (its content does not match its name): not copied`,
  );
  t.false(existsSync(join(dir, 'fresh', 'objects', object)));
});

test.serial(
  "a run record on the remote that carries another key's manifest (a valid checksum is no proof) is refused on pull",
  async (t) => {
    await run();
    ok(['push', 'forged', '--store', 'store', '--lock', 'run.lock']);
    const runs = join(dir, 'forged', 'runs');
    const [a, b] = readdirSync(runs)
      .sort()
      .map((f) => JSON.parse(readFileSync(join(runs, f), 'utf8')) as RunRecord);
    const forged = { ...b, manifest: a.manifest, outputs: a.outputs, outputInfo: a.outputInfo };
    const { checksum: _checksum, ...rest } = forged;
    writeFileSync(
      join(runs, `${b.key}.json`),
      JSON.stringify({ ...rest, checksum: recordChecksum(rest) }, null, 2) + '\n',
    );
    const result = pipeline(['pull', 'forged', '--store', 'fresh-forged', '--lock', 'run.lock']);
    t.is(result.status, 1);
    t.regex(
      result.stderr,
      new RegExp(
        `run record runs/${b.key}\\.json is not a sound run record of key ${b.key} \\(.*a manifest of another key`,
      ),
    );
    t.false(existsSync(join(dir, 'fresh-forged', 'runs', `${b.key}.json`)));
  },
);

test.serial('push and pull over SSH (sshd on localhost, started by .ci/start-sshd.sh)', async (t) => {
  if (!existsSync(SSH_CONFIG)) {
    if (process.env.CI) t.fail(`no ${SSH_CONFIG}: .ci/run starts sshd with .ci/start-sshd.sh before the tests`);
    else
      t.log(
        `skipped: no sshd (${SSH_CONFIG} is missing; run .ci/start-sshd.sh, or set CI=true to make this a failure)`,
      );
    if (!process.env.CI) t.pass();
    return;
  }
  const { files } = await run();
  const env = { PIPELINE_SSH: `ssh -F ${SSH_CONFIG}` };
  const url = `ssh://pipeline-test${join(dir, 'over-ssh')}`;
  t.is(
    ok(['push', url, '--store', 'store', '--lock', 'run.lock'], env).trim(),
    `pushed ${files} file(s), 0 already there (run.lock, ${url})`,
  );
  t.is(
    ok(['push', url, '--store', 'store', '--lock', 'run.lock'], env).trim(),
    `pushed 0 file(s), ${files} already there (run.lock, ${url})`,
  );
  t.is(
    ok(['pull', url, '--store', 'ssh-laptop', '--lock', 'run.lock'], env).trim(),
    `pulled ${files} file(s), 0 already there (run.lock, ${url})`,
  );
  for (const sub of ['objects', 'runs'])
    t.deepEqual(readdirSync(join(dir, 'ssh-laptop', sub)).sort(), readdirSync(join(dir, 'over-ssh', sub)).sort());
  const down = pipeline(
    ['pull', 'ssh://pipeline-test/nonexistent-store', '--store', 'ssh-none', '--lock', 'run.lock'],
    env,
  );
  t.regex(
    down.stderr.trim(),
    /^error: ssh:\/\/pipeline-test\/nonexistent-store lacks \d+ file\(s\) the lock needs \(first: objects\/\w+\.arrow\): push them there first$/,
  );
});

test.serial(
  'a push over ssh whose bytes arrive altered is refused by their SHA-256 and keeps nothing; a clean one then copies all',
  async (t) => {
    const { files } = await run();
    const fake = join(ROOT, 'test', 'fixtures', 'fake-ssh.sh');
    const url = `ssh://stand-in${join(dir, 'over-a-bad-link')}`;
    const bad = pipeline(['push', url, '--store', 'store', '--lock', 'run.lock'], {
      PIPELINE_SSH: fake,
      FAKE_SSH_CORRUPT: '1',
    });
    t.not(bad.status, 0);
    t.regex(bad.stderr, /transfer of objects\/\w+\.arrow did not arrive whole \(its SHA-256 differs\): not kept/);
    const kept = ['objects', 'runs'].flatMap((sub) =>
      existsSync(join(dir, 'over-a-bad-link', sub)) ? readdirSync(join(dir, 'over-a-bad-link', sub)) : [],
    );
    t.deepEqual(kept, []);
    t.is(
      ok(['push', url, '--store', 'store', '--lock', 'run.lock'], { PIPELINE_SSH: fake }).trim(),
      `pushed ${files} file(s), 0 already there (run.lock, ${url})`,
    );
  },
);
