/**
 * Slurm executor benchmarks (`npm run bench -- slurm`; skipped when sbatch is absent), measured in one run:
 *  1. overhead per node, submit → commit: the toy chain source → scale → shift → combine, every node a Slurm job
 *     (each waits for the one before), wall time per node less the time its stage ran;
 *  2. the micro sweep (tests' MICRO params, λ = 0.5) from an empty store, local executor against Slurm executor.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MICRO } from '../test/fixtures/micro.ts';

if (spawnSync('sbatch', ['--version']).status !== 0) {
  console.log('skipped: sbatch not found (start a single-node cluster with .ci/start-slurm.sh)');
  process.exit(0);
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = import.meta.resolve('tsx');
const ENV = { ...process.env, PIPELINE_SLURM_POLL_MS: '200' };

/** Runs a CLI as a user would, in `cwd`; its wall time in seconds. */
function timed(script: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, ['--import', TSX, script, ...args], { cwd, env: ENV, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return (performance.now() - t0) / 1000;
}

function stageSeconds(store: string): number {
  return readdirSync(join(store, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .reduce(
      (sum, f) => sum + (JSON.parse(readFileSync(join(store, 'runs', f), 'utf8')) as { seconds: number }).seconds,
      0,
    );
}

// ---- 1. overhead per node -------------------------------------------------------------------------------------
const toy = mkdtempSync(join(tmpdir(), 'slurm-bench-toy-'));
writeFileSync(join(toy, 'params.json'), '{}');
const toyCli = join(ROOT, 'test/fixtures/engine/toy-cli.ts');
const chain = (executor: string) => {
  const store = join(toy, `store-${executor}`);
  const wall = timed(toyCli, ['repro', '-p', 'params.json', '--store', store, '--executor', executor], toy);
  return { wall, stages: stageSeconds(store) };
};
const localChain = chain('local');
const slurmChain = chain('slurm');
const perNode = (r: { wall: number; stages: number }) => ((r.wall - r.stages) / 4) * 1000;
console.log(
  `toy chain of 4 dependent nodes: local ${localChain.wall.toFixed(2)} s, slurm ${slurmChain.wall.toFixed(2)} s (stages themselves ${slurmChain.stages.toFixed(2)} s)`,
);
console.log(
  `overhead per node, submit → commit: slurm ${perNode(slurmChain).toFixed(0)} ms (local executor, whole command over 4 nodes: ${perNode(localChain).toFixed(0)} ms; the slurm figure includes each job's node + tsx start-up)`,
);

// ---- 2. the micro sweep -----------------------------------------------------------------------------------------
const micro = mkdtempSync(join(tmpdir(), 'slurm-bench-micro-'));
copyFileSync(join(ROOT, 'params.yaml'), join(micro, 'params.yaml'));
const sets = [...MICRO, 'sweep.cycle.lambda=[0.5]'].flatMap((s) => ['--set', s]);
const sweep = (executor: string) =>
  timed(
    join(ROOT, 'pipeline.ts'),
    [
      'repro',
      '-p',
      join(micro, 'params.yaml'),
      '--store',
      join(micro, `store-${executor}`),
      '--executor',
      executor,
      ...sets,
    ],
    ROOT,
  );
const local = sweep('local');
const onSlurm = sweep('slurm');
const nodes = readdirSync(join(micro, 'store-slurm', 'runs')).filter((f) => f.endsWith('.json')).length;
console.log(
  `micro sweep (${nodes} nodes, empty store): local ${local.toFixed(1)} s, slurm ${onSlurm.toFixed(1)} s, slurm/local ${(onSlurm / local).toFixed(2)}`,
);
