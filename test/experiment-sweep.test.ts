/**
 * The experiment end to end, through the real CLI, at micro scale: a tiny GPT, n = 64, three generations, all four
 * cycles, two λ. Checks what the design promises the experiment: shared generation 0, each cycle's dataset
 * composition, λ-free cycles shared across λ, metrics for every eval node, minimal reruns, and kill + resume.
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseLockFile, type LockFile } from '../engine/store/lock-file.ts';
import { Store } from '../engine/store/store.ts';
import { expressionRows, type ExpressionRow } from '../stages/dataset.ts';
import { finished, waitFor } from './fixtures/engine/harness.ts';
import { MICRO, MICRO_HELDOUT, MICRO_N } from './fixtures/micro.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const N = MICRO_N;

class Experiment {
  readonly dir = mkdtempSync(join(tmpdir(), 'experiment-test-'));
  readonly store = join(this.dir, 'store');
  constructor() {
    copyFileSync(join(ROOT, 'params.yaml'), join(this.dir, 'params.yaml'));
  }
  args(command: string, lambdas: number[]): string[] {
    const sets = [...MICRO, `sweep.cycle.lambda=[${lambdas.join(',')}]`].flatMap((s) => ['--set', s]);
    return [
      '--import',
      TSX,
      join(ROOT, 'pipeline.ts'),
      command,
      '-p',
      join(this.dir, 'params.yaml'),
      '--store',
      this.store,
      '--jobs',
      '2',
      ...sets,
    ];
  }
  spawn(lambdas: number[]) {
    return spawn(process.execPath, this.args('repro', lambdas), {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  async repro(lambdas: number[]): Promise<{ ran: string[]; stdout: string }> {
    const result = await finished(this.spawn(lambdas));
    if (result.code !== 0) throw new Error(`repro failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    return { ran: ranIds(result.stdout), stdout: result.stdout };
  }
  lock(): LockFile {
    const path = join(this.dir, 'pipeline.lock');
    return parseLockFile(readFileSync(path, 'utf8'), path);
  }
  async dataset(hash: string): Promise<ExpressionRow[]> {
    return expressionRows(await new Store(this.store).getObject(hash));
  }
  runRecords(): Array<{ stage: string; ids: string[] }> {
    return readdirSync(join(this.store, 'runs')).map((f) =>
      JSON.parse(readFileSync(join(this.store, 'runs', f), 'utf8')),
    );
  }
}

// Each line without the [k/N …] that leads it (engine/run/progress.ts).
const ranIds = (stdout: string): string[] =>
  stdout
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*\] /, ''))
    .filter((l) => l.startsWith('ran '))
    .map((l) => l.split(/\s+/)[1]);

/** make() on the first call, its result after: so importing this file (ava --match, a worker listing tests) runs nothing. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

// One experiment shared by the tests below, run when a test first asks for it.
const shared = once(() => new Experiment());
const firstRun = once(() => shared().repro([0.25, 0.5]));
const firstLock = once(async () => {
  await firstRun();
  return shared().lock();
});
// The same sweep with λ = [0.25, 0.75] instead: its reruns and lock, used by two tests below.
const secondRun = once(async () => {
  await firstLock();
  return { ...(await shared().repro([0.25, 0.75])), lock: shared().lock() };
});

test.serial('a micro sweep of all cycles and two λ runs end to end, generation 0 once for all', async (t) => {
  const { ran } = await firstRun();
  const lock = await firstLock();
  const gen0 = Object.entries(lock.nodes).filter(([id, n]) => n.stage === 'train' && id.endsWith('/gen=0'));
  t.deepEqual(
    gen0.map(([id]) => id),
    ['train/seed=1/gen=0'],
    'one node of six chains, named without a cycle',
  );
  for (const stage of ['gen-d0', 'train', 'sample']) {
    const records = shared()
      .runRecords()
      .filter((r) => r.stage === stage && r.ids.some((id) => !id.includes('gen=') || id.endsWith('gen=0')));
    t.is(records.length, 1, `${stage} of generation 0 ran once`);
  }
  t.is(ran.length, new Set(Object.values(lock.nodes).map((n) => n.key)).size, 'every distinct node ran once');
});

test.serial('every eval node has its metrics in pipeline.lock', async (t) => {
  await firstRun();
  const evals = Object.entries((await firstLock()).nodes).filter(([, n]) => n.stage === 'eval');
  t.is(evals.length, 1 + 6 * 2, 'generation 0 shared, then two generations of six chains');
  for (const [id, node] of evals) {
    for (const name of [
      'samples.semantic',
      'samples.syntactic',
      'samples.diversity',
      'samples.unique',
      'samples.copied',
      'data.diversity',
    ]) {
      t.is(typeof node.metrics[name], 'number', `${id} ${name}`);
    }
    t.is(node.metrics['samples.count'], N);
  }
});

test.serial(
  'every eval node records the perplexities, over held-out rows that no dataset holds as real or fresh',
  async (t) => {
    await firstRun();
    const lock = await firstLock();
    const heldout = new Set(
      (await shared().dataset(lock.nodes['gen-heldout/seed=1']!.outputs.dataset)).map((r) => r.expression),
    );
    t.is(heldout.size, MICRO_HELDOUT);
    const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
    for (const [id, node] of Object.entries(lock.nodes).filter(([, n]) => n.stage === 'eval')) {
      const { 'heldout.perplexity': held, 'heldout.rows': rows, 'samples.perplexity_m0': m0 } = node.metrics;
      t.true(finite(held) && held > 1, `${id} heldout.perplexity = ${held}`);
      t.true(finite(m0) && m0 >= 1, `${id} samples.perplexity_m0 = ${m0}`);
      t.true(finite(rows) && rows > 0 && rows <= MICRO_HELDOUT, `${id} heldout.rows = ${rows}`);
    }
    for (const [id, node] of Object.entries(lock.nodes)) {
      if (node.stage !== 'gen-d0' && node.stage !== 'build-dataset') continue;
      const real = (await shared().dataset(node.outputs.dataset)).filter((r) => r.origin !== 'synthetic');
      t.false(
        real.some((r) => heldout.has(r.expression)),
        `${id}: a held-out row among the real or fresh rows`,
      );
    }
  },
);

test.serial("each cycle's dataset composition by origin matches its formula exactly", async (t) => {
  await firstRun();
  const lock = await firstLock();
  const datasetOf = (cycle: string, generation: number) => {
    const id = Object.keys(lock.nodes).find(
      (k) => k.startsWith(`build-dataset/cycle=${cycle}/`) && k.endsWith(`/gen=${generation}`),
    )!;
    return shared().dataset(lock.nodes[id].outputs.dataset);
  };
  const count = (rows: ExpressionRow[], origin: string, generation?: number) =>
    rows.filter((r) => r.origin === origin && (generation === undefined || r.generation === generation)).length;
  for (const g of [1, 2]) {
    const full = await datasetOf('full_synthetic', g);
    t.is(full.length, N);
    t.is(count(full, 'synthetic', g - 1), N);
    const balanced = await datasetOf('balanced', g);
    t.is(count(balanced, 'real', 0), N / 2);
    t.is(count(balanced, 'synthetic', g - 1), N / 2);
  }
  for (const lambda of [0.25, 0.5]) {
    const k = Math.round(lambda * N);
    const incremental = (g: number) => datasetOf(`incremental/lambda=${lambda}`, g);
    const expanding = (g: number) => datasetOf(`expanding/lambda=${lambda}`, g);
    const inc1 = await incremental(1);
    t.is(inc1.length, N);
    t.is(count(inc1, 'synthetic', 0), k);
    t.is(count(inc1, 'real', 0), N - k);
    const inc2 = await incremental(2);
    t.is(inc2.length, N);
    t.is(count(inc2, 'synthetic', 1), k, 'λ·n new samples of S_1');
    const exp1 = await expanding(1);
    const exp2 = await expanding(2);
    t.is(exp2.length, 3 * N);
    t.deepEqual(exp2.slice(0, 2 * N), exp1, 'D_t is kept whole');
    t.is(count(exp2, 'synthetic', 1), k);
    t.is(count(exp2, 'fresh', 2), N - k);
    const earlier = new Set(exp1.map((r) => r.expression));
    t.false(
      exp2.slice(2 * N).some((r) => r.origin === 'fresh' && earlier.has(r.expression)),
      'fresh data is new',
    );
  }
});

test.serial('changing λ reruns only the λ-dependent nodes; full synthetic and balanced ignore λ', async (t) => {
  await firstRun();
  const before = await firstLock();
  const { ran, lock: after } = await secondRun();
  t.true(ran.length > 0);
  for (const id of ran) t.regex(id, /lambda=0\.75\/.*gen=[12]$/, `${id} should not have rerun`);
  // full_synthetic and balanced: same ids, same keys, whatever λ the sweep holds
  for (const [id, node] of Object.entries(before.nodes)) {
    if (/cycle=(full_synthetic|balanced)\//.test(id)) t.is(after.nodes[id]?.key, node.key, id);
  }
  t.false(Object.keys(after.nodes).some((id) => /cycle=(full_synthetic|balanced)\/lambda/.test(id)));
});

test.serial('a second repro does nothing and says so', async (t) => {
  await secondRun();
  const { ran, stdout } = await shared().repro([0.25, 0.75]);
  t.deepEqual(ran, []);
  t.regex(stdout, /nothing to do/);
});

test.serial(
  'killing repro with SIGKILL and running it again gives the same pipeline.lock as an uninterrupted run',
  async (t) => {
    const reference = await firstLock();
    const interrupted = new Experiment();
    const child = interrupted.spawn([0.25, 0.5]);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await waitFor(() => ranIds(stdout).length >= 12, 120_000);
    process.kill(-child.pid!, 'SIGKILL');
    await finished(child);
    const resumed = await interrupted.repro([0.25, 0.5]);
    const before = new Set(ranIds(stdout));
    t.false(
      resumed.ran.some((id) => before.has(id)),
      'no committed node ran again',
    );
    const strip = (lock: LockFile) => JSON.stringify(lock.nodes);
    t.is(strip(interrupted.lock()), strip(reference));
  },
);

test.serial('metrics diff between two git commits that differ in one λ', async (t) => {
  // The shared experiment's locks before and after its λ change: λ = [0.25, 0.5], then [0.25, 0.75].
  const [before, { lock: after }] = [await firstLock(), await secondRun()];
  const repo = mkdtempSync(join(tmpdir(), 'experiment-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
  git('init', '-q');
  for (const [lock, message] of [
    [before, 'lambda 0.5'],
    [after, 'lambda 0.75'],
  ] as const) {
    writeFileSync(join(repo, 'pipeline.lock'), JSON.stringify(lock));
    git('add', '.');
    git('commit', '-qm', message);
  }
  const diff = execFileSync(
    process.execPath,
    ['--import', TSX, join(ROOT, 'pipeline.ts'), 'metrics', 'diff', 'HEAD~1', 'HEAD', '--json'],
    { cwd: repo, encoding: 'utf8' },
  );
  const { rows }: { rows: Array<{ node: string; old: unknown; new: unknown }> } = JSON.parse(diff);
  t.true(rows.some((r) => r.node.includes('lambda=0.5/') && r.new === 'not run'));
  t.true(rows.some((r) => r.node.includes('lambda=0.75/') && r.old === 'not run'));
  t.false(
    rows.some((r) => /full_synthetic|balanced|lambda=0\.25/.test(r.node)),
    'nodes that do not read the changed λ are unchanged',
  );
});
