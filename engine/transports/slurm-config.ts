/**
 * Slurm resources per stage, from a YAML file the user keeps (`--slurm-config`) and from command-line flags
 * (which win). None of it is part of a node's manifest, so changing it never reruns a node.
 *
 *   local: [gen-d0, build-dataset, eval]     # stages run by the coordinator's own workers, not as jobs
 *   default: { partition: gpu, time: "01:00:00", mem: 4G }
 *   stages:
 *     train: { gres: "gpu:1", time: "04:00:00", extra: ["--qos=long"] }
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  SLURM_RESOURCE_NAMES as FIELDS,
  SLURM_RESOURCES,
  slurmFlag,
  type SlurmResourceName,
  type SlurmResources,
} from './slurm-resources.ts';

export interface SlurmConfig {
  /** Stages that take well under a second: a scheduler round trip each would cost more than they do. */
  local: string[];
  default: SlurmResources;
  stages: Record<string, SlurmResources>;
}

/** The config file's keys, each a field of SlurmConfig. */
const CONFIG_KEYS = ['local', 'default', 'stages'] as const satisfies readonly (keyof SlurmConfig)[];

/** Each resource flag's value: `VALUE` for every stage, or `stage=VALUE,stage=VALUE`. */
export type SlurmFlags = Partial<Record<SlurmResourceName, string[]>> & { local?: string };

export function loadSlurmConfig(
  file: string | undefined,
  flags: SlurmFlags,
  defaultLocal: readonly string[],
  stageNames: readonly string[],
): SlurmConfig {
  const config: SlurmConfig = { local: [...defaultLocal], default: {}, stages: {} };
  if (file) readConfigFile(file, config);
  for (const field of FIELDS) {
    for (const value of flags[field] ?? []) {
      for (const item of SLURM_RESOURCES[field].kind === 'options' ? [value] : value.split(',')) {
        const perStage = /^([A-Za-z][\w-]*)=(.*)$/.exec(item);
        const target = perStage ? (config.stages[perStage[1]] ??= {}) : config.default;
        setField(target, field, perStage ? perStage[2] : item, `--${slurmFlag(field)}`);
      }
    }
  }
  if (flags.local !== undefined)
    config.local = flags.local
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (const name of [...config.local, ...Object.keys(config.stages)]) {
    if (!stageNames.includes(name))
      throw new Error(`Slurm config: unknown stage '${name}'; the stages are ${stageNames.join(', ')}`);
  }
  return config;
}

function readConfigFile(file: string, config: SlurmConfig): void {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const expected = CONFIG_KEYS.join(', ');
  if (!isObject(doc)) throw new Error(`${file}: expected a mapping with keys ${expected}`);
  for (const key of Object.keys(doc))
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new Error(`${file}: unknown key '${key}' (expected ${expected})`);
  if (doc.local !== undefined) {
    if (!Array.isArray(doc.local) || !doc.local.every((s) => typeof s === 'string'))
      throw new Error(`${file}: local must be a list of stage names, got ${JSON.stringify(doc.local)}`);
    config.local = doc.local;
  }
  if (doc.default !== undefined) readResources(doc.default, config.default, `${file}: default`);
  if (doc.stages !== undefined) {
    if (!isObject(doc.stages)) throw new Error(`${file}: stages must map stage names to resources`);
    for (const [stage, value] of Object.entries(doc.stages))
      readResources(value, (config.stages[stage] = {}), `${file}: stages.${stage}`);
  }
}

function readResources(value: unknown, into: SlurmResources, where: string): void {
  if (!isObject(value)) throw new Error(`${where} must be a mapping of ${FIELDS.join(', ')}`);
  for (const [key, v] of Object.entries(value)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw new Error(`${where}: unknown key '${key}' (expected ${FIELDS.join(', ')})`);
    const field = key as SlurmResourceName;
    if (SLURM_RESOURCES[field].kind === 'options') {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
        throw new Error(`${where}.${key} must be a list of sbatch options, got ${JSON.stringify(v)}`);
      (into as Record<SlurmResourceName, unknown>)[field] = v;
    } else setField(into, field, String(v), `${where}.${key}`);
  }
}

function setField(into: SlurmResources, field: SlurmResourceName, value: string, where: string): void {
  const values = into as Record<SlurmResourceName, unknown>; // each value's type is its field's kind, checked here
  switch (SLURM_RESOURCES[field].kind) {
    case 'count':
      if (!/^[1-9]\d*$/.test(value)) throw new Error(`${where}: ${field} wants a positive integer, got '${value}'`);
      values[field] = Number(value);
      break;
    case 'options':
      values[field] = [...((values[field] as string[] | undefined) ?? []), ...value.split(/\s+/).filter(Boolean)];
      break;
    case 'text':
      if (!value) throw new Error(`${where}: ${field} is empty`);
      values[field] = value;
  }
}

/** The sbatch options of one stage: its own resources over the defaults, then the free-form options of both. */
export function sbatchOptions(config: SlurmConfig, stage: string): string[] {
  const own: SlurmResources = config.stages[stage] ?? {};
  const options = FIELDS.flatMap((field) => {
    const resource = SLURM_RESOURCES[field];
    const value = own[field] ?? config.default[field];
    return resource.kind !== 'options' && value ? [`--${resource.sbatch}=${value}`] : [];
  });
  return [...options, ...(config.default.extra ?? []), ...(own.extra ?? [])];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
