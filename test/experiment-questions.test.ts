/**
 * The questions beyond the paper at micro scale, through the real CLI: the accumulate cycle's datasets, a curated
 * chain and a chain with periodic fresh data, in one params file whose sweep is a list of blocks.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Store } from '../engine/store/store.ts';
import { expressionRows } from '../stages/dataset.ts';
import { MICRO, MICRO_N as N } from './fixtures/micro.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'questions-test-'));
const store = join(dir, 'store');

type LockNodes = Record<string, { outputs: Record<string, string>; metrics: Record<string, number | string> }>;

function repro(): LockNodes {
  const params = readFileSync(join(ROOT, 'params.yaml'), 'utf8').replace(
    /^sweep:[\s\S]*$/m,
    'sweep:\n  - cycle.name: [accumulate]\n  - cycle.name: [full_synthetic]\n    curation.mode: [capped]\n' +
      '  - cycle.name: [full_synthetic]\n    cycle.fresh_every: [2]\n',
  );
  writeFileSync(join(dir, 'q.yaml'), params);
  const sets = [...MICRO, 'curation.max_copies=2'].flatMap((s) => ['--set', s]);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'pipeline.ts', 'repro', '-p', join(dir, 'q.yaml'), '--store', store, '--jobs', '2', ...sets],
    { cwd: ROOT, stdio: 'pipe' },
  );
  return JSON.parse(readFileSync(join(dir, 'q.lock'), 'utf8')).nodes;
}

let nodes: LockNodes;
test.before(() => {
  nodes = repro();
});

const datasetOf = async (id: string) => expressionRows(await new Store(store).getObject(nodes[id]!.outputs.dataset!));
const composition = (rows: Array<{ origin: string; generation: number }>) => {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[`${r.origin}@${r.generation}`] = (counts[`${r.origin}@${r.generation}`] ?? 0) + 1;
  return counts;
};

test('accumulate keeps every row: D_1 = D_0 ∪ S_0, D_2 = D_1 ∪ S_1, exactly, by origin and generation', async (t) => {
  const chain = 'cycle=accumulate/seed=1/curation.mode=none';
  const d1 = await datasetOf(`build-dataset/${chain}/gen=1`);
  const d2 = await datasetOf(`build-dataset/${chain}/gen=2`);
  t.deepEqual(composition(d1), { 'real@0': N, 'synthetic@0': N });
  t.deepEqual(composition(d2), { 'real@0': N, 'synthetic@0': N, 'synthetic@1': N });
  t.deepEqual(d2.slice(0, 2 * N), d1, 'D_1 is kept whole, in order');
  const s1 = expressionRows(await new Store(store).getObject(nodes[`sample/${chain}/gen=1`]!.outputs.samples!));
  t.deepEqual(d2.slice(2 * N), s1, 'then all of S_1 as sampled');
  t.deepEqual(nodes[`build-dataset/${chain}/gen=2`]!.metrics, {
    'origin.fresh': 0,
    'origin.real': N,
    'origin.synthetic': 2 * N,
  });
});

test('a capped chain curates each S_t before the cycle uses it, and D_{t+1} is n rows of the kept ones', async (t) => {
  const chain = 'cycle=full_synthetic/seed=1/curation.mode=capped';
  for (const g of [0, 1]) {
    // S_0 is every cycle's, so its curation is too: named without a cycle (experiment/graph.ts).
    const { metrics, outputs } =
      nodes[g === 0 ? 'curate/seed=1/curation.mode=capped/gen=0' : `curate/${chain}/gen=${g}`]!;
    t.is((metrics['curation.kept'] as number) + (metrics['curation.dropped'] as number), N);
    const kept = expressionRows(await new Store(store).getObject(outputs.samples!));
    const copies = new Map<string, number>();
    for (const r of kept) copies.set(r.expression, (copies.get(r.expression) ?? 0) + 1);
    t.true(
      [...copies.values()].every((c) => c <= 2),
      'at most max_copies = 2 of each',
    );
    const next = await datasetOf(`build-dataset/${chain}/gen=${g + 1}`);
    t.is(next.length, N);
    t.deepEqual(next.slice(0, kept.length), kept);
  }
});

test('fresh_every 2: D_1 takes no fresh rows and is the uncurated full-synthetic D_1; D_2 has round(0.5·n) of them', (t) => {
  const chain = 'cycle=full_synthetic/seed=1/curation.mode=none';
  t.deepEqual(nodes[`build-dataset/${chain}/gen=1`]!.metrics, {
    'origin.fresh': 0,
    'origin.real': 0,
    'origin.synthetic': N,
  });
  t.falsy(nodes[`build-dataset/${chain}/cycle.fresh_every=2/gen=1`], 'one D_1 for both');
  t.deepEqual(nodes[`build-dataset/${chain}/cycle.fresh_every=2/gen=2`]!.metrics, {
    'origin.fresh': N / 2,
    'origin.real': 0,
    'origin.synthetic': N / 2,
  });
});
