/**
 * params.yaml: the one file that says everything about an experiment, and its validation.
 *
 * Each section is declared, with its keys' types, ranges and defaults, in the room that reads it (model/config.ts:
 * model and train; each stage its own: data, sample, cycle, curation, eval, runtime; the task its options); this
 * module composes them and adds the sweep and the rules that span sections. Every key is declared once; an unknown key, a wrong type or a bad value is
 * rejected before anything runs, with the file, the key's dotted path and what was expected. `--set key=value`
 * overrides any key (the value is read as YAML, so `--set train.steps=50` is a number and `--set sweep.seed=[1,2]`
 * a list). The `sweep:` block maps dotted key paths to lists of values; each combination is one concrete experiment.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, parseDocument } from 'yaml';
import { z } from 'zod';
import { expandSweep, getPath } from '../engine/plan/graph.ts';
import { modelProblems, modelSection, trainProblems, trainSection } from '../model/config.ts';
import { runtimeSection } from '../stages/backend.ts';
import { cycleProblems, cycleSection } from '../stages/build-dataset.ts';
import { CURATION_MODES, curationSection, JUDGED_MODES } from '../stages/curate.ts';
import { evalSection } from '../stages/eval.ts';
import { dataProblems, dataSection } from '../stages/gen-d0.ts';
import { sampleSection } from '../stages/sample.ts';
import { optionProblems, taskNamed } from '../tasks/registry.ts';
import type { Task } from '../tasks/task.ts';
import { costProblems, paramsFileProblem, planSizeProblem } from './limits.ts';
import type { Json } from '../engine/stage.ts';

export { CYCLES, CYCLES_USING_LAMBDA } from '../stages/build-dataset.ts';

const experimentSchema = z.strictObject({
  seed: z.number().int().min(0),
  generations: z.number().int().positive(),
  /** What the loop trains on (tasks/registry.ts): the task's name and its own options, checked by its schema. */
  task: z
    .object({ name: z.string() })
    .catchall(z.custom<Json>(() => true))
    .superRefine(({ name, ...given }, ctx) => {
      let task: Task<unknown>;
      try {
        task = taskNamed(name);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['name'], message: (error as Error).message });
        return;
      }
      for (const { path, message } of optionProblems(task, task.options.safeParse(given).error?.issues ?? [])) {
        ctx.addIssue({ code: 'custom', path, message });
      }
    }),
  data: dataSection,
  model: modelSection,
  train: trainSection,
  sample: sampleSection,
  cycle: cycleSection,
  curation: curationSection,
  eval: evalSection,
  runtime: runtimeSection,
});
const sweepBlock = z.record(z.string(), z.array(z.unknown()).min(1));
const paramsFileSchema = experimentSchema.extend({
  /** One block (the cartesian product of its keys) or a list of blocks (the union of their products). */
  sweep: z.union([sweepBlock, z.array(sweepBlock).min(1)]).default({}),
});
type SweepBlock = z.infer<typeof sweepBlock>;

/** One concrete experiment: no sweep block, every key set. */
export type ExperimentParams = z.infer<typeof experimentSchema>;
export type ParamsFile = z.infer<typeof paramsFileSchema>;

export class ParamsError extends Error {
  constructor(source: string, problems: string[]) {
    super(`invalid params in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ParamsError';
  }
}

/** Reads, overrides and validates a params file; the sweep keys are checked by expanding every combination. */
export function loadParams(file: string, sets: readonly string[] = []): ParamsFile {
  let text: string;
  try {
    const tooBig = paramsFileProblem(file);
    if (tooBig) throw new ParamsError(file, [tooBig]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ParamsError) throw error;
    throw new ParamsError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  return parseParams(text, file, sets);
}

export function parseParams(text: string, source: string, sets: readonly string[] = []): ParamsFile {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ParamsError(
      source,
      document.errors.map((e) => `YAML: ${e.message}`),
    );
  }
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ParamsError(source, ['expected a mapping of keys at the top level']);
  }
  const problems: string[] = [];
  // Keys with a default may be left out of the file and still be set from the command line.
  if (sets.length > 0) fillDefaults(experimentSchema, raw as Record<string, unknown>);
  for (const assignment of sets) collect(problems, () => applySet(raw as Record<string, unknown>, assignment));
  if (problems.length > 0) throw new ParamsError(source, problems);
  const checked = paramsFileSchema.safeParse(raw);
  if (!checked.success) throw new ParamsError(source, checked.error.issues.map(describeIssue));
  const params = checked.data;
  // Before the sweep is expanded (below, to check it): a sweep of millions of nodes must not be built to be refused.
  const blocks = sweepBlocks(params);
  const tooBig = planSizeProblem(params, blocks);
  if (tooBig) throw new ParamsError(source, [tooBig]);
  // Each sweep value must be valid at its key; then every combination (the base values where nothing is swept)
  // must satisfy the cross-key rules.
  for (const [path, values] of blocks.flatMap((block) => Object.entries(block))) {
    values.forEach((value, i) =>
      collect(
        problems,
        () => {
          const candidate = setKnownPath(structuredClone(stripSweep(params)), path, value);
          const result = experimentSchema.safeParse(candidate);
          for (const issue of result.error?.issues ?? []) {
            problems.push(`sweep.${path}[${i}] = ${JSON.stringify(value)}: ${describeIssue(issue)}`);
          }
        },
        `sweep.${path}: `,
      ),
    );
  }
  if (problems.length === 0) {
    for (const { params: concrete, assignment } of sweepCombinations(params)) {
      const where = Object.keys(assignment).length > 0 ? ` (with ${formatAssignment(assignment)})` : '';
      problems.push(...crossFieldProblems(concrete).map((p) => `${p}${where}`));
    }
  }
  if (problems.length > 0) throw new ParamsError(source, [...new Set(problems)]);
  return params;
}

/** Writes the schema's default into every key of `target` that is missing and has one, section by section. */
function fillDefaults(schema: z.ZodObject, target: Record<string, unknown>): void {
  for (const [key, field] of Object.entries(schema.shape)) {
    if (target[key] === undefined && field instanceof z.ZodDefault)
      target[key] = structuredClone(field.def.defaultValue);
    const section = target[key];
    // A section with a default of its own (curation) may still be given in part, and its other keys defaulted.
    const inner = field instanceof z.ZodDefault ? field.def.innerType : field;
    if (inner instanceof z.ZodObject && section !== null && typeof section === 'object' && !Array.isArray(section)) {
      fillDefaults(inner, section as Record<string, unknown>);
    }
  }
}

/** Runs `action`, turning a thrown key error into a listed problem so that all of them are reported at once. */
function collect(problems: string[], action: () => void, prefix = ''): void {
  try {
    action();
  } catch (error) {
    problems.push(`${prefix}${(error as Error).message}`);
  }
}

/**
 * `key.path=value`, value read as YAML. The key must already exist unless it is under `sweep.`; setting a key the
 * sweep block varies replaces its sweep values with this one.
 */
function applySet(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`--set "${assignment}": expected key.path=value`);
  const path = assignment.slice(0, eq).trim();
  const value: unknown = parseYaml(assignment.slice(eq + 1));
  const sweep = (target.sweep ??= {}) as Record<string, unknown> | Record<string, unknown>[];
  const blocks = Array.isArray(sweep) ? sweep : [sweep];
  if (path.startsWith('sweep.')) {
    // A list of blocks gets the key in every block: `--set sweep.seed=[1,2,3]` runs every block over those seeds.
    for (const block of blocks) block[path.slice('sweep.'.length)] = Array.isArray(value) ? value : [value];
    return;
  }
  setKnownPath(target, path, value);
  // A swept key set on the command line means that value alone, not a base value the sweep would override.
  for (const block of blocks) if (Object.prototype.hasOwnProperty.call(block, path)) block[path] = [value];
}

export interface SweepPoint {
  /** The concrete experiment. */
  params: ExperimentParams;
  /** The swept keys and their values at this point, e.g. { 'cycle.name': 'balanced', 'cycle.lambda': 0.5 }. */
  assignment: Record<string, unknown>;
}

export function sweepBlocks(params: ParamsFile): SweepBlock[] {
  return Array.isArray(params.sweep) ? params.sweep : [params.sweep];
}

/**
 * The cartesian product of each sweep block, in file order (the last key varies fastest), and the union of the
 * blocks' products. Every point is assigned every key that any block sweeps, read from its params, so a point two
 * blocks reach (each question's baseline) is one chain with one name.
 */
export function sweepCombinations(params: ParamsFile): SweepPoint[] {
  const base = stripSweep(params);
  const blocks = sweepBlocks(params);
  const keys = [...new Set(blocks.flatMap((block) => Object.keys(block)))];
  const points = new Map<string, SweepPoint>();
  for (const block of blocks) {
    for (const { params: concrete } of expandSweep(base, block as Record<string, Json[]>)) {
      const assignment = Object.fromEntries(keys.map((key) => [key, getPath(concrete, key)]));
      points.set(JSON.stringify(assignment), { params: experimentSchema.parse(concrete), assignment });
    }
  }
  return [...points.values()];
}

function stripSweep(params: ParamsFile): ExperimentParams {
  const { sweep: _sweep, ...rest } = params;
  return rest;
}

/** Each section's rules across its keys, and the rules that span sections, which no section's declaration can say. */
function crossFieldProblems(p: ExperimentParams): string[] {
  const problems = [
    ...dataProblems(p.data),
    ...modelProblems(p.model),
    ...trainProblems(p.train),
    ...cycleProblems(p.cycle),
  ];
  if (JUDGED_MODES[p.curation.mode] && !taskNamed(p.task.name).judge) {
    const others = CURATION_MODES.filter((mode) => !JUDGED_MODES[mode]).join(', ');
    problems.push(
      `curation.mode = ${p.curation.mode} asks the task's judge, and task '${p.task.name}' has none; expected one of ${others}`,
    );
  }
  problems.push(...costProblems(p));
  return problems;
}

/** Sets a dotted key that must already exist, naming the key and what the section has when it does not. */
function setKnownPath(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const [i, part] of parts.entries()) {
    const known = Object.prototype.hasOwnProperty.call(node, part) || declares(parts.slice(0, i + 1));
    if (!known) {
      const where = parts.slice(0, i).join('.') || 'the top level';
      const options = Object.keys(node).join(', ');
      throw new Error(`unknown key "${path}": ${where} has no "${part}" (it has: ${options})`);
    }
    if (i === parts.length - 1) {
      node[part] = value;
    } else {
      const next = node[part];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new Error(`"${parts.slice(0, i + 1).join('.')}" is not a section, so "${path}" cannot be set`);
      }
      node = next as Record<string, unknown>;
    }
  }
  return target;
}

/** Whether the schema declares a dotted key: an optional one (data.distinct) is known though a file leaves it out. */
function declares(parts: readonly string[]): boolean {
  let schema: z.core.$ZodType | undefined = experimentSchema;
  for (const part of parts) {
    while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.def.innerType;
    schema = schema instanceof z.ZodObject ? schema.shape[part] : undefined;
    if (!schema) return false;
  }
  return true;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${path === '(top level)' ? '' : `${path}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys
      .map((k) => `"${k}"`)
      .join(', ')}`;
  }
  return `${path}: ${issue.message}`;
}

function formatAssignment(assignment: Record<string, unknown>): string {
  return Object.entries(assignment)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}
