/**
 * The Slurm resources a stage can ask for, declared once: each is a key of the Slurm config's YAML, a `--slurm-NAME`
 * flag of repro and an sbatch option. Data only, so the CLI names its flags without loading the engine.
 */
export const SLURM_RESOURCES = {
  partition: { kind: 'text', sbatch: 'partition' },
  account: { kind: 'text', sbatch: 'account' },
  time: { kind: 'text', sbatch: 'time' },
  mem: { kind: 'text', sbatch: 'mem' },
  cpus: { kind: 'count', sbatch: 'cpus-per-task' },
  gres: { kind: 'text', sbatch: 'gres' },
  /** Free-form sbatch options, e.g. ['--qos=long', '--constraint=a100'], given after the others. */
  extra: { kind: 'options' },
} as const satisfies Record<string, { kind: 'text' | 'count'; sbatch: string } | { kind: 'options' }>;

export type SlurmResourceName = keyof typeof SLURM_RESOURCES;
export const SLURM_RESOURCE_NAMES = Object.keys(SLURM_RESOURCES) as SlurmResourceName[];

type ValueOf<Kind> = Kind extends 'count' ? number : Kind extends 'options' ? string[] : string;
export type SlurmResources = { -readonly [K in SlurmResourceName]?: ValueOf<(typeof SLURM_RESOURCES)[K]['kind']> };

/** The repro flag of a resource, without its dashes: `slurm-partition`. */
export const slurmFlag = <N extends SlurmResourceName>(name: N): `slurm-${N}` => `slurm-${name}`;
