/**
 * `repro --executor slurm` against a real Slurm (.ci/start-slurm.sh starts a single-node cluster): the lock equals
 * the local executor's, a killed coordinator's jobs are adopted, a scancelled job resumes from its checkpoint, a
 * throwing stage is not retried, two coordinators share a store, a task planned on other code is refused, and
 * Ctrl-C cancels every job. Serial: the jobs of one test must not queue behind another's on the 2-core node.
 */
import anyTest, { type TestFn } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished, waitFor, Workspace, type Result } from './fixtures/engine/harness.ts';
import { MICRO } from './fixtures/micro.ts';

// A controller that answers, not just the client installed: sbatch without slurmctld would fail every test.
const HAS_SLURM = spawnSync('scontrol', ['ping'], { timeout: 5000 }).stdout?.toString().includes('is UP') ?? false;
const CI = process.env.CI === 'true';
const test = (HAS_SLURM || CI ? anyTest.serial : anyTest.skip) as TestFn;
if (!HAS_SLURM && !CI)
  console.log(
    'engine-slurm: skipped, no Slurm controller answers `scontrol ping` (start a cluster with .ci/start-slurm.sh; under CI=true these tests run)',
  );

// Cheap toy stages run in the coordinator, as the real experiment's cheap stages do; slow and fail become jobs.
const CHEAP = ['--slurm-local', 'source,scale,shift,combine'];
const ENV = { PIPELINE_SLURM_POLL_MS: '200' };
const ROOT = resolve(import.meta.dirname, '..');

function slurm(ws: Workspace, args: string[] = []) {
  return ws.spawn(['repro', '--executor', 'slurm', ...CHEAP, ...args], ENV);
}

function ok(t: { is: (a: unknown, b: unknown, m?: string) => void }, result: Result): void {
  t.is(result.code, 0, result.stdout + result.stderr);
}

function steps(ws: Workspace): number[] {
  return ws
    .counterLines()
    .filter((l) => l.startsWith('slow step'))
    .map((l) => Number(l.split(' ')[2]));
}

/** Job ids the coordinator said it submitted. */
function submitted(stdout: string): string[] {
  return [...stdout.matchAll(/submitted as slurm job (\d+)/g)].map((m) => m[1]);
}

function activeJobs(ids: string[]): string[] {
  if (ids.length === 0) return [];
  const out = spawnSync('squeue', ['-h', '-j', ids.join(','), '-o', '%i|%T'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => /\|(PENDING|RUNNING|CONFIGURING|COMPLETING)/.test(l));
}

/** The first job id running `slow` in this store, once one runs. */
async function runningSlowJob(ws: Workspace, minSteps: number): Promise<string> {
  await waitFor(() => steps(ws).length >= minSteps);
  const jobs = readdirSync(join(ws.store, 'slurm', 'jobs')).map(
    (f) => JSON.parse(readFileSync(join(ws.store, 'slurm', 'jobs', f), 'utf8')).id as string,
  );
  if (jobs.length !== 1) throw new Error(`expected one slow job, found ${jobs.join(', ')}`);
  return jobs[0];
}

async function localLock(params: object) {
  const ws = new Workspace({ params });
  ok(
    {
      is: (a, b, m) => {
        if (a !== b) throw new Error(m);
      },
    },
    await ws.run(['repro', '--jobs', '2']),
  );
  return ws.lock();
}

test('the micro sweep through Slurm writes the same pipeline.lock, byte for byte, as the local executor', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-micro-'));
  copyFileSync(join(ROOT, 'params.yaml'), join(dir, 'params.yaml'));
  const sets = [...MICRO, 'sweep.cycle.lambda=[0.5]'].flatMap((s) => ['--set', s]);
  const run = async (executor: string, store: string) => {
    const result = await finished(
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'pipeline.ts',
          'repro',
          '-p',
          join(dir, 'params.yaml'),
          '--store',
          join(dir, store),
          '--executor',
          executor,
          ...sets,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, ...ENV },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    ok(t, result);
    return { stdout: result.stdout, lock: readFileSync(join(dir, 'pipeline.lock')) };
  };
  const local = await run('local', 'local-store');
  const onSlurm = await run('slurm', 'slurm-store');
  t.true(onSlurm.lock.equals(local.lock), 'identical lock files');
  t.regex(onSlurm.stdout, /start {3}train\/\S+ {2}slurm job \d+/, 'trainings ran as Slurm jobs');
  t.false(/queued {2}(build-dataset|gen-d0|gen-heldout)\//.test(onSlurm.stdout), 'no cheap stage was submitted');
  // eval runs a model for the perplexities (eval.perplexity): it is submitted like sampling.
  t.regex(onSlurm.stdout, /queued {2}eval\//);
});

test('kill -9 of the coordinator: its running job finishes and commits, the next repro adopts it; nothing reruns, same lock', async (t) => {
  const params = { slow: { steps: 24, sleepMs: 250 } };
  const reference = localLock(params);
  const ws = new Workspace({ params });
  const child = slurm(ws);
  const done = finished(child);
  const job = await runningSlowJob(ws, 2);
  process.kill(-child.pid!, 'SIGKILL');
  t.is((await done).signal, 'SIGKILL');
  t.is(activeJobs([job]).length, 1, 'the job outlives its coordinator');
  const status = await ws.run(['status']);
  t.regex(
    status.stdout,
    new RegExp(`running {2}slow {2}— running: pid \\d+ on \\S+ since \\S+; slurm job ${job} RUNNING`),
    'status shows the job and its state',
  );

  const again = await finished(slurm(ws));
  ok(t, again);
  t.deepEqual(submitted(again.stdout), [], 'nothing resubmitted');
  t.deepEqual(steps(ws), [...Array(24).keys()], 'every step once: never two runs at once, none repeated');
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 1, combine: 1, slow: 24 });
  t.deepEqual(ws.lock(), await reference);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
});

test('scancel of a running training job: it is resubmitted and resumes from its checkpoint', async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 16, sleepMs: 250 } } });
  const child = slurm(ws);
  const done = finished(child);
  const job = await runningSlowJob(ws, 4);
  execFileSync('scancel', [job]);
  const result = await done;
  ok(t, result);
  t.regex(result.stdout, /queued {2}slow {2}submitted as slurm job \d+ \(attempt 2 of 3\)/);
  const lines = ws
    .counterLines()
    .filter((l) => l.startsWith('slow step'))
    .map((l) => l.split(' '));
  const second = lines.findIndex(([, , , , id]) => id !== job);
  t.true(second > 0, `a second job ran slow: ${lines.map((l) => l.join(' ')).join(', ')}`);
  t.is(
    Number(lines[second][2]),
    second,
    `the second job resumed at step ${lines[second][2]}, after the ${second} steps the first one checkpointed`,
  );
  t.true(second >= 4);
  t.deepEqual(steps(ws), [...Array(16).keys()], 'no step ran twice');
});

test('a stage that throws: the node fails once, unretried, its descendants are blocked, the error names node and log', async (t) => {
  const ws = new Workspace({ params: { fail: true } });
  const result = await finished(slurm(ws));
  t.is(result.code, 1, result.stdout + result.stderr);
  const failure = /FAILED {2}fail: toy failure on purpose \(log: (.+\.log)\)/.exec(result.stdout);
  t.truthy(failure, result.stdout);
  t.regex(readFileSync(failure![1], 'utf8'), /about to fail on purpose[\s\S]*toy failure on purpose/);
  t.regex(result.stdout, /blocked after: upstream fail failed/);
  t.is(ws.counts().fail, 1, 'not retried');
  t.is(submitted(result.stdout).length, 1);
});

test('two coordinators on one store at once: every node runs once', async (t) => {
  const ws = new Workspace({ params: { sweep: { offset: [1, 2, 3] }, slow: { steps: 3, sleepMs: 100 } } });
  const [a, b] = await Promise.all([finished(slurm(ws)), finished(slurm(ws))]);
  ok(t, a);
  ok(t, b);
  t.deepEqual(ws.counts(), { source: 1, scale: 1, shift: 3, combine: 3, slow: 9 });
  t.is(Object.keys(ws.lock().nodes).length, 15);
  t.deepEqual(readdirSync(join(ws.store, 'locks')), []);
});

test('a task planned on other code is refused, naming both fingerprints', async (t) => {
  const ws = new Workspace();
  const dry = JSON.parse((await ws.run(['repro', '--dry', '--json'])).stdout) as Array<{ ids: string[]; key: string }>;
  const source = dry.find((s) => s.ids[0] === 'source')!;
  const task = {
    key: source.key,
    sid: '0123456789abcdef',
    ids: ['source'],
    manifest: { stage: 'source', code: 'feedfacefeedface', params: { size: 4 }, inputs: {}, seed: 1 },
    runtime: {},
  };
  const file = join(ws.dir, 'task.json');
  writeFileSync(file, JSON.stringify(task));
  const result = await ws.run(['run-task', file, '--report', join(ws.dir, 'report.json')]);
  t.is(result.code, 1);
  t.regex(
    result.stderr,
    /the task was planned with code feedfacefeedface for stage 'source', this checkout's is [0-9a-f]{16}/,
  );
  t.is(JSON.parse(readFileSync(join(ws.dir, 'report.json'), 'utf8')).result.type, 'failed');
  t.false('source' in ws.counts(), 'the stage never ran');
  t.deepEqual(readdirSync(join(ws.store, 'runs')), []);
});

test('Ctrl-C cancels every submitted job and exits 130', async (t) => {
  const ws = new Workspace({ params: { sweep: { offset: [1, 2, 3] }, slow: { steps: 200, sleepMs: 100 } } });
  const child = slurm(ws);
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const done = finished(child);
  await waitFor(() => submitted(stdout).length === 3 && steps(ws).length >= 2);
  process.kill(-child.pid!, 'SIGINT');
  const result = await done;
  t.is(result.code, 130, result.stdout + result.stderr);
  const jobs = submitted(stdout);
  t.deepEqual(activeJobs(jobs), [], `jobs ${jobs.join(', ')} all cancelled`);
  t.regex(result.stdout, /\(interrupted\)/);
});

test('--max-jobs caps the jobs submitted at once; per-stage resources reach sbatch', async (t) => {
  const ws = new Workspace({ params: { sweep: { offset: [1, 2, 3] }, slow: { steps: 2, sleepMs: 100 } } });
  const result = await finished(
    slurm(ws, ['--max-jobs', '1', '--slurm-time', 'slow=00:05:00', '--slurm-extra', 'slow=--comment=bench']),
  );
  ok(t, result);
  let inFlight = 0;
  let most = 0;
  for (const line of result.stdout.split('\n')) {
    if (/submitted as slurm job/.test(line)) most = Math.max(most, ++inFlight);
    if (/^(\[[^\]]*\] )?ran {5}slow/.test(line)) inFlight--;
  }
  t.is(most, 1, result.stdout);
  const jobs = submitted(result.stdout);
  t.is(jobs.length, 3);
  const shown = execFileSync('scontrol', ['show', 'job', jobs[0]], { encoding: 'utf8' });
  t.regex(shown, /TimeLimit=00:05:00/);
  t.regex(shown, /Comment=bench/);
});

test("a job sbatch refuses (a partition that does not exist) fails its node with sbatch's words; the others run, nothing hangs", async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 2, sleepMs: 10 } } });
  const result = await finished(slurm(ws, ['--slurm-partition', 'slow=no-such-partition']));
  t.is(result.code, 1, result.stdout + result.stderr);
  t.regex(result.stdout, /FAILED {2}slow: sbatch failed: .*Invalid partition/);
  t.regex(result.stdout, /5 nodes: 0 cached, 4 ran, 1 failed/);
});
