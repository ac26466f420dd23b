import test from 'ava';
import type { LockFile } from '../engine/store/lock-file.ts';
import { PAPER_HEADER, paperTable } from '../experiment/paper.ts';
import { makeLock, nodeId } from './fixtures/compare/locks.ts';

const rowOf = (rows: string[][], series: string) => {
  const row = rows.find((r) => r[0] === series);
  if (!row) throw new Error(`no row ${series} in ${rows.map((r) => r[0]).join(', ')}`);
  return Object.fromEntries(PAPER_HEADER.map((h, i) => [`${i}:${h}`, row[i]!]));
};

test('a short run: its last generation instead of 50, paper configurations it lacks marked, collapse found', (t) => {
  const lock = makeLock({ lambdas: [0.5], generations: 4 });
  // Full synthetic collapses to one expression at generation 2 in this fixture.
  for (const g of [2, 3]) lock.nodes[nodeId({ cycle: 'full_synthetic', seed: 1, generation: g, extra: {} })]!.metrics['samples.unique'] = 1;
  const { header, rows } = paperTable(lock);
  t.is(header, PAPER_HEADER);
  const full = rows.find((r) => r[0] === 'full_synthetic')!;
  t.deepEqual(full.slice(1, 4), ['1', 'about gen 39', 'gen 2']);
  // D_0's diversity is 0.61 (data.diversity at gen 0) and S_3's 0.6·e^(-0.3) + 0.01: loss = 1 − 0.4545/0.61.
  const d0 = lock.nodes[nodeId({ cycle: 'full_synthetic', seed: 1, generation: 0, extra: {} })]!.metrics['data.diversity'] as number;
  const s3 = lock.nodes[nodeId({ cycle: 'full_synthetic', seed: 1, generation: 3, extra: {} })]!.metrics['samples.diversity'] as number;
  t.is(full[5], `not in this run (no gen 50; at gen 3: ${(100 * (1 - s3 / d0)).toFixed(0)}%)`);
  t.regex(full[7]!, /^0\.\d{3} → 0\.\d{3} \(gen 3\)$/);
  const balanced = rows.find((r) => r[0] === 'balanced')!;
  t.regex(balanced[3]!, /^not reached \(\d+ at gen 3\)$/);
  t.is(balanced[4], '≈30%');
  // The paper's expanding λ = 0.75 and λ = 1 are not in this run.
  for (const series of ['expanding λ=0.75', 'expanding λ=1']) {
    const row = rows.find((r) => r[0] === series)!;
    t.deepEqual([row[1], row[3], row[5], row[7]], ['0', 'not in this run', 'not in this run', 'not in this run'], series);
  }
});

test('51 generations and 3 seeds: loss at generation 50 with its interval; an older lock says what it lacks', (t) => {
  const lock = makeLock({ cycles: ['incremental'], lambdas: [0.5], seeds: [1, 2, 3], generations: 51 });
  const incremental = rowOf(paperTable(lock).rows, 'incremental λ=0.5');
  t.is(incremental['1:seeds'], '3');
  t.is(incremental['4:diversity loss at gen 50: paper'], '≈68%');
  t.regex(incremental['5:this run']!, /^\d+% ± \d+%$/);
  const older: LockFile = structuredClone(lock);
  for (const node of Object.values(older.nodes)) if (node.stage === 'eval') delete node.metrics['samples.unique'];
  t.is(rowOf(paperTable(older).rows, 'incremental λ=0.5')['3:this run'], 'samples.unique not recorded');
  t.deepEqual(paperTable({ version: 1, nodes: {} }).rows.map((r) => r[3]), Array(6).fill('not in this run'));
});
