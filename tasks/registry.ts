/**
 * The tasks, one line each, and how a node's params name one. A slice without `task` is logic: the Boolean
 * experiment's slices predate tasks and its keys and seeds must not move, so logic's nodes carry no `task`, and
 * gen-d0 and build-dataset carry its depth range at their top level as they always did. Every other task's nodes
 * carry `task`: its name, its options and, where it has one, its data's content hash.
 */
import type { z } from 'zod';
import type { Json } from '../engine/stage.ts';
import corpus from './corpus/index.ts';
import logic, { loadLogic, logicTokenizer, type LogicOptions } from './logic/index.ts';
import type { LoadedTask, Task } from './task.ts';
import text from './text/index.ts';

const TASKS = new Map<string, Task<any>>([
  [logic.name, logic],
  [text.name, text],
  [corpus.name, corpus],
]);

/** Adds a task (a test's fixture task); the built-in ones are the table above. */
export function registerTask(task: Task<any>): void {
  if (TASKS.has(task.name)) throw new Error(`a task named '${task.name}' is already registered`);
  TASKS.set(task.name, task);
}

/** The task of that name; the error lists the registered ones. */
export function taskNamed(name: string): Task<any> {
  const task = TASKS.get(name);
  if (!task) throw new Error(`unknown task "${name}"; the registered tasks are: ${[...TASKS.keys()].join(', ')}`);
  return task;
}

/**
 * The eval metrics shown by default among those `recorded`: the headline metrics of S_t of the tasks that recorded
 * them (so each task's lock shows its own), then the task-independent diversity, unique count and copied share,
 * always (a lock too old to have one says so).
 */
export function headlineMetrics(recorded: readonly string[]): string[] {
  const own = [...new Set([...TASKS.values()].flatMap((task) => task.headlineMetrics))].map(
    (name) => `samples.${name}`,
  );
  return [...own.filter((m) => recorded.includes(m)), 'samples.diversity', 'samples.unique', 'samples.copied'];
}

/** params.yaml's `task:` section: the task's name and its own options. */
export type TaskSection = { name: string } & Record<string, Json>;

/** A task as a node's params name it: the section's options, and the data's content hash where the task has one. */
export type TaskRef = { name: string; options: Record<string, Json>; content_hash?: string };

/** What a node's params slice carries of its task (the module comment says why logic's is different). */
export type TaskSlice = { task?: TaskRef };
/** The same for a node that draws real rows (gen-d0, build-dataset), where logic's depth range is. */
export type RowsTaskSlice = TaskSlice & Partial<LogicOptions>;

/** The task of a `task:` section and its options, checked by the task's own schema (errors name the `task.<key>`). */
export function readTask({ name, ...given }: TaskSection): { task: Task<any>; options: unknown } {
  const task = taskNamed(name);
  const checked = task.options.safeParse(given);
  if (!checked.success) {
    const problems = optionProblems(task, checked.error.issues).map(
      ({ path, message }) => `${['task', ...path].join('.')}: ${message}`,
    );
    throw new Error(`invalid options of task '${name}': ${problems.join('; ')}`);
  }
  return { task, options: checked.data };
}

/** The task schema's issues as paths within the section and messages (an unknown key named with the task). */
export function optionProblems(
  task: Task<any>,
  issues: readonly z.core.$ZodIssue[],
): { path: PropertyKey[]; message: string }[] {
  return issues.map((issue) => ({
    path: issue.path,
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} for task '${task.name}'`
        : issue.message,
  }));
}

/** readTask for a task as a node's params name it. */
const readRef = (ref: TaskRef) => readTask({ ...ref.options, name: ref.name });

/** The slice entries of a node of this task. */
export function taskSlice(section: TaskSection): TaskSlice {
  const { task, options } = readTask(section);
  if (task === logic) return {};
  const hash = task.contentHash?.(options);
  return {
    task: {
      name: task.name,
      options: options as Record<string, Json>,
      ...(hash === undefined ? {} : { content_hash: hash }),
    },
  };
}

/** The slice entries of a node of this task that draws real rows. */
export function rowsTaskSlice(section: TaskSection): RowsTaskSlice {
  if (section.name !== logic.name) return taskSlice(section);
  const { depth_min, depth_max } = readTask(section).options as LogicOptions;
  return { depth_min, depth_max };
}

/** The task a node's params slice names, loaded. */
export async function taskOf(slice: RowsTaskSlice): Promise<LoadedTask> {
  if (slice.task) {
    const { task, options } = readRef(slice.task);
    return task.load(options);
  }
  const { depth_min, depth_max } = slice;
  return loadLogic(depth_min === undefined || depth_max === undefined ? undefined : { depth_min, depth_max });
}

/** The task's judge, for the slice's task; undefined where it has none. */
export function judgeOf(slice: TaskSlice): Task<any>['judge'] {
  return slice.task ? taskNamed(slice.task.name).judge : logic.judge;
}

/** The vocabulary's size as the task's options tell it before anything runs (Task.vocabularySize); 0 where only its data do. */
export function knownVocabularySize(slice: TaskSlice): number {
  if (!slice.task) return logicTokenizer.vocabulary.length;
  const { task, options } = readRef(slice.task);
  return task.vocabularySize?.(options) ?? 0;
}
