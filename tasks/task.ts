/**
 * A task: the kind of data the self-consuming loop trains on (Boolean expressions, English sentences, the lines of
 * a researcher's file). Everything that depends on the data lives behind this seam, one folder per task
 * (tasks/<name>/index.ts exporting one Task) and one line in tasks/registry.ts: model/ learns only the vocabulary
 * size, stages and metrics ask the task.
 *
 * A row of every dataset is one example as a line of text (one column of the dataset table, whatever the task).
 */
import type { z } from 'zod';

/** Token ids for the model. The last id is the end token, which also starts every sequence. */
export interface Tokenizer {
  /** The symbol of each id; deterministic for the task's options (it is stored with every model). */
  readonly vocabulary: readonly string[];
  readonly eos: number;
  /** An example's ids, without the end token. A symbol outside the vocabulary is the task's rule (an error, or an unknown-symbol id). */
  encode(text: string): number[];
  /** The text of ids up to the first end token. */
  decode(ids: ArrayLike<number>): string;
}

export interface RealRowsRequest {
  /** How many distinct examples. */
  n: number;
  seed: number;
  /** Examples that must not be drawn (D_t, when the expanding cycle asks for fresh real data). */
  exclude?: ReadonlySet<string>;
  progress?(done: number, total: number): void;
}

/** One task with its options read: what stages and metrics use. */
export interface LoadedTask {
  tokenizer: Tokenizer;
  /** n distinct real examples for a seed: D_0, and fresh real rows (never in `exclude`). Deterministic for a seed. */
  realRows(request: RealRowsRequest): string[];
  /**
   * The task's own figures over a set of lines (samples or a dataset), by metric name, shares in 0..1. The
   * task-independent ones (count, diversity, unique, mean length, copied) are computed beside them by metrics/.
   */
  summarize(lines: readonly string[]): Record<string, number>;
  /** The names summarize returns, in the order reports list them. */
  readonly metricNames: readonly string[];
}

export interface Task<Options> {
  name: string;
  /** The task's own keys of params.yaml's `task:` section (besides `name`); errors name the key. */
  options: z.ZodType<Options>;
  load(options: Options): Promise<LoadedTask> | LoadedTask;
}
