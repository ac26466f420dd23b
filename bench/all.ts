/**
 * `npm run bench`: every benchmark in turn, each in its own process (so one's heap and backend do not colour the
 * next one's figures). `npm run bench -- metrics engine` runs only those; options from the first `--flag` on go to
 * each of them (`npm run bench -- model --backend webgpu`).
 */
import { spawnSync } from 'node:child_process';

const all = ['metrics', 'engine', 'model', 'threads', 'slurm', 'cli'];
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const names = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
const chosen = names.length > 0 ? names : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark '${name}'; expected one of: ${all.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== bench/${name}.ts ==`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...options], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${name}.ts failed (exit ${result.status ?? result.signal})`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
