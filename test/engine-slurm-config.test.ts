/** Slurm resources per stage: the file, the flags over it, and errors that name what is wrong. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSlurmConfig, sbatchOptions } from '../engine/transports/slurm-config.ts';
import { SLURM_RESOURCE_NAMES } from '../engine/transports/slurm-resources.ts';

const STAGES = ['gen-d0', 'train', 'sample', 'build-dataset', 'eval'];

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'slurm-config-')), 'slurm.yaml');
  writeFileSync(path, text);
  return path;
}

test('per-stage resources: file defaults, stage entries, and flags (VALUE or stage=VALUE) over them', (t) => {
  const path = file(
    'default: { partition: cpu, time: "01:00:00", mem: 4G }\nstages:\n  train: { gres: "gpu:1", extra: ["--qos=long"] }\n',
  );
  const config = loadSlurmConfig(
    path,
    { time: ['train=04:00:00,sample=00:30:00'], partition: ['gpu'], extra: ['--exclusive'] },
    ['eval'],
    STAGES,
  );
  t.deepEqual(config.local, ['eval']);
  t.deepEqual(sbatchOptions(config, 'train'), [
    '--partition=gpu',
    '--time=04:00:00',
    '--mem=4G',
    '--gres=gpu:1',
    '--exclusive',
    '--qos=long',
  ]);
  t.deepEqual(sbatchOptions(config, 'eval'), ['--partition=gpu', '--time=01:00:00', '--mem=4G', '--exclusive']);
  t.deepEqual(loadSlurmConfig(undefined, { local: 'eval,build-dataset' }, ['gen-d0'], STAGES).local, [
    'eval',
    'build-dataset',
  ]);
});

test('every Slurm resource is a key of the file and a flag, and reaches sbatch as its option', (t) => {
  const cases: Record<string, [yaml: string, flag: string, sbatch: string]> = {
    partition: ['gpu', 'gpu', '--partition=gpu'],
    account: ['lab', 'lab', '--account=lab'],
    time: ['"01:00:00"', '01:00:00', '--time=01:00:00'],
    mem: ['4G', '4G', '--mem=4G'],
    cpus: ['3', '3', '--cpus-per-task=3'],
    gres: ['"gpu:1"', 'gpu:1', '--gres=gpu:1'],
    extra: ['["--qos=long"]', '--qos=long', '--qos=long'],
  };
  t.deepEqual(SLURM_RESOURCE_NAMES, Object.keys(cases));
  for (const [name, [yaml, flag, sbatch]] of Object.entries(cases)) {
    t.deepEqual(
      sbatchOptions(loadSlurmConfig(file(`stages: { train: { ${name}: ${yaml} } }`), {}, [], STAGES), 'train'),
      [sbatch],
      name,
    );
    t.deepEqual(
      sbatchOptions(loadSlurmConfig(undefined, { [name]: [`train=${flag}`] }, [], STAGES), 'train'),
      [sbatch],
      name,
    );
  }
});

test('bad Slurm config is rejected naming the file, key or flag and what was expected', (t) => {
  t.throws(() => loadSlurmConfig(file('stages: { train: { gpus: 1 } }'), {}, [], STAGES), {
    message: /slurm\.yaml: stages\.train: unknown key 'gpus' \(expected partition/,
  });
  t.throws(() => loadSlurmConfig(file('default: { cpus: two }'), {}, [], STAGES), {
    message: /default\.cpus: cpus wants a positive integer, got 'two'/,
  });
  t.throws(() => loadSlurmConfig(file('partitions: gpu'), {}, [], STAGES), { message: /unknown key 'partitions'/ });
  t.throws(() => loadSlurmConfig(undefined, { gres: ['trian=gpu:1'] }, [], STAGES), {
    message: /unknown stage 'trian'; the stages are gen-d0, train/,
  });
  t.throws(() => loadSlurmConfig(undefined, { cpus: ['0'] }, [], STAGES), {
    message: /--slurm-cpus: cpus wants a positive integer, got '0'/,
  });
  t.throws(() => loadSlurmConfig(join(tmpdir(), 'no-such-slurm.yaml'), {}, [], STAGES), {
    message: /no-such-slurm\.yaml: ENOENT/,
  });
});
