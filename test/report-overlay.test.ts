/** `report --lock A --lock B`: the series of several locks on the same charts, each labelled by what differs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { overlayLocks } from '../experiment/overlay.ts';
import { compareCli as cli } from './fixtures/compare/cli.ts';
import { makeLock, recordedParams } from './fixtures/compare/locks.ts';

const base = ['generations=3', 'sweep.cycle.name=[full_synthetic,balanced]'];
const a = makeLock({ cycles: ['full_synthetic', 'balanced'], generations: 3, params: recordedParams(base) });
const b = makeLock({
  cycles: ['full_synthetic', 'balanced'],
  generations: 3,
  params: recordedParams([...base, 'sample.temperature=0.4']),
});
const old = makeLock({ cycles: ['full_synthetic'], generations: 3 });
const dir = mkdtempSync(path.join(tmpdir(), 'report-overlay-'));
for (const [name, lock] of Object.entries({ a, b, old }))
  writeFileSync(path.join(dir, `${name}.lock`), JSON.stringify(lock));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('overlayLocks tags every node with the params that tell its lock apart, or the lock name', (t) => {
  const { lock, parts } = overlayLocks([
    { label: 'a.lock', lock: a },
    { label: 'b.lock', lock: b },
  ]);
  t.deepEqual(
    parts.map((p) => p.tags),
    [{ 'sample.temperature': 0.6 }, { 'sample.temperature': 0.4 }],
  );
  t.is(Object.keys(lock.nodes).length, 2 * Object.keys(a.nodes).length);
  t.like(lock.nodes['eval/sample.temperature=0.4/cycle=balanced/seed=1/gen=2'], {
    tags: { cycle: 'balanced', 'sample.temperature': 0.4, generation: 2 },
  });
  const byName = overlayLocks([
    { label: 'a.lock', lock: a },
    { label: 'old.lock', lock: old },
  ]);
  t.deepEqual(
    byName.parts.map((p) => p.tags),
    [{ lock: 'a.lock' }, { lock: 'old.lock' }],
  );
  t.throws(
    () =>
      overlayLocks([
        { label: 'a.lock', lock: a },
        { label: 'a.lock', lock: a },
      ]),
    { message: /^two of the locks overlaid \(a\.lock, a\.lock\) are the same lock/ },
  );
});

test("report with several locks draws their series on the same charts, labelled, and lists each lock's params", async (t) => {
  const printed = await cli(dir, 'report', '--lock', 'a.lock', '--lock', 'b.lock', '-o', 'rep');
  t.true(printed.includes('rep/diversity.svg'));
  const svg = readFileSync(path.join(dir, 'rep', 'diversity.svg'), 'utf8');
  for (const series of [
    'full_synthetic sample.temperature=0.6',
    'full_synthetic sample.temperature=0.4',
    'balanced sample.temperature=0.6',
    'balanced sample.temperature=0.4',
  ]) {
    t.true(svg.includes(`>${series}</text>`), series);
  }
  const html = readFileSync(path.join(dir, 'rep', 'report.html'), 'utf8');
  t.true(html.includes('<h3>a.lock: series labelled sample.temperature=0.6</h3>'));
  t.true(html.includes('<h3>b.lock: series labelled sample.temperature=0.4</h3>'));
  t.true(
    html.includes(
      'overrides: <code>--set generations=3 --set sweep.cycle.name=[full_synthetic,balanced] --set sample.temperature=0.4</code>',
    ),
  );
  await cli(dir, 'report', '--lock', 'a.lock', '--lock', 'old.lock', '-o', 'rep-old');
  const byName = readFileSync(path.join(dir, 'rep-old', 'diversity.svg'), 'utf8');
  t.true(byName.includes('>full_synthetic lock=old.lock</text>') && byName.includes('>balanced lock=a.lock</text>'));
  t.true(
    readFileSync(path.join(dir, 'rep-old', 'report.html'), 'utf8').includes(
      'old.lock records no params: it is a version 1 lock',
    ),
  );
});
