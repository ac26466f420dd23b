/**
 * Engine benchmarks (`npx tsx bench/engine.ts`):
 *  1. `repro` with nothing to do over 5,000 cached nodes, as a whole command (a child process, start-up included)
 *     and in-process (plan + cache lookups + pipeline.lock);
 *  2. hashing throughput on a 64 MB buffer, and writing / reading (with verification) a 64 MB object.
 * The store is filled once by running the toy stages in-process and committing through the real Store.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { makeTable, type Table } from 'apache-arrow';
import { buildPlan } from '../engine/plan/graph.ts';
import { loadStage } from '../engine/run/task.ts';
import { hashBytes } from '../engine/store/hash.ts';
import { LocalExecutor } from '../engine/transports/local.ts';
import { repro } from '../engine/run/repro.ts';
import { Store } from '../engine/store/store.ts';
import { commitEveryNode } from './fill-store.ts';
import type { StageContext } from '../engine/stage.ts';
import { toyLoader } from '../test/fixtures/engine/toy-graph.ts';

const NODES = 5_000;
// A fresh store each time: a store kept from an earlier run holds keys of earlier code and seeds.
const dir = mkdtempSync(join(tmpdir(), `engine-bench-${NODES}-`));
const store = new Store(join(dir, 'store'));
const paramsFile = join(dir, 'params.json');
writeFileSync(paramsFile, JSON.stringify({ sweep: { seed: Array.from({ length: NODES / 4 }, (_, i) => i) } }));

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

// ---- fill the store ------------------------------------------------------------------------------------------
let t0 = performance.now();
const { nodes } = await toyLoader({ paramsFile, set: [] });
const plan = buildPlan(nodes);
// The toy stages are cheap: run them for real, so the store holds their true outputs.
await commitEveryNode(store, plan, async (node, manifest) => {
  const inputs = Object.fromEntries(
    await Promise.all(Object.entries(manifest.inputs).map(async ([name, hash]) => [name, await store.getObject(hash)])),
  );
  const ctx = {
    params: node.params,
    runtime: node.runtime,
    inputs,
    seed: node.seed,
    progress() {},
    log() {},
    metric() {},
  } as unknown as StageContext;
  const produced: Record<string, Table> = await (await loadStage(node.stage.module)).run(ctx);
  const outputs = Object.fromEntries(
    await Promise.all(Object.entries(produced).map(async ([name, table]) => [name, await store.putObject(table)])),
  );
  return { outputs, metrics: {} };
});
console.log(`filled ${plan.nodes.length} nodes in ${ms(t0)}`);

// ---- no-op repro ---------------------------------------------------------------------------------------------
const sink = new Writable({ write: (_chunk, _enc, done) => done() });
t0 = performance.now();
// The plan is built inside the timing, as the command builds it: the figure stays plan + lookups + lock.
const noopStore = new Store(store.root);
const result = await repro(buildPlan(nodes), {
  executor: new LocalExecutor({ store: noopStore }),
  store: noopStore,
  lockPath: join(dir, 'pipeline.lock'),
  out: sink,
});
console.log(`in-process no-op repro, ${plan.nodes.length} cached nodes: ${ms(t0)}  (${result.summary.trim()})`);

// The whole command as a user runs it; five runs, since other processes share the cores.
const cli = fileURLToPath(new URL('../test/fixtures/engine/toy-cli.ts', import.meta.url));
const walls: number[] = [];
let said = '';
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  said = execFileSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), cli, 'repro', '-p', paramsFile, '--store', store.root],
    { cwd: dir, encoding: 'utf8' },
  ).trim();
  walls.push(performance.now() - t0);
}
walls.sort((a, b) => a - b);
console.log(
  `whole command (node + tsx + imports + load + plan + repro), 5 runs: min ${walls[0].toFixed(0)} ms, median ${walls[2].toFixed(0)} ms  → ${said}`,
);

// ---- hashing -------------------------------------------------------------------------------------------------
const MB = 64;
const bytes = randomFillSync(new Uint8Array(MB << 20));
hashBytes(bytes.subarray(0, 1 << 20)); // warm up
t0 = performance.now();
for (let i = 0; i < 5; i++) hashBytes(bytes);
const seconds = (performance.now() - t0) / 1000 / 5;
console.log(`xxhash64 of ${MB} MB: ${(seconds * 1000).toFixed(1)} ms, ${(MB / seconds).toFixed(0)} MB/s`);

const big = makeTable({ x: new Float64Array(bytes.buffer) });
mkdirSync(join(dir, 'big'), { recursive: true });
const bigStore = new Store(join(dir, 'big'));
t0 = performance.now();
const hash = await bigStore.putObject(big);
console.log(`putObject of a ${MB} MB table (serialise, hash, write, fsync, rename): ${ms(t0)}`);
t0 = performance.now();
await bigStore.getObject(hash);
console.log(`getObject of it (read, verify hash, decode): ${ms(t0)}`);
