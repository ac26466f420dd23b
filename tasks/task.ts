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
  /**
   * The eval table's metric columns in order, where a task must keep the bytes of tables stored before tasks
   * existed (logic). Absent: each set's task-independent figures, then its summarize figures (stages/eval.ts).
   */
  readonly evalColumns?: readonly string[];
}

/**
 * A judge's verdict on one example: well-formed, and correct (what curation's verified mode keeps). It may say more
 * (logic's: tokens, depth, where a line fails and why), which `score --lines` prints.
 */
export interface Judgement {
  syntactic: boolean;
  semantic: boolean;
}

/** How many distinct real examples a task's options allow, and the words a params error says it with. */
export interface Supply {
  count: number;
  /** What the examples are: `distinct True expressions`. */
  noun: string;
  /** Where they come from: `at depth 1 to 2`. */
  where: string;
  /** The other way out besides a smaller data.n: `raise task.depth_max`. */
  remedy: string;
}

export interface Task<Options> {
  name: string;
  /**
   * Its own metrics that `metrics show`, `exp show`, `score` and the report show by default, beside the
   * task-independent diversity, unique count and copied share (names as summarize returns them).
   */
  headlineMetrics: readonly string[];
  /** The task's own keys of params.yaml's `task:` section (besides `name`); errors name the key. */
  options: z.ZodType<Options>;
  load(options: Options): Promise<LoadedTask> | LoadedTask;
  /**
   * The verifier, where the task has one: curation's verified and syntactic modes ask it, and params refuse those
   * modes for a task without it. Never throws.
   */
  judge?(line: string): Judgement;
  /**
   * The content hash of the data the options name (a corpus file), where they name some: it goes beside the options
   * in a node's params, so that the keys follow the data, not only its path.
   */
  contentHash?(options: Options): string;
  /** The vocabulary's size when the options alone tell it: params-time cost limits count the embedding with it. */
  vocabularySize?(options: Options): number;
  /** The distinct real examples the options allow, when they are few enough to run out: params refuse a larger need. */
  supply?(options: Options): Supply;
  /** The most tokens a real example has, when the options tell it: params refuse a model.block_size that cannot hold it and the end token. */
  longestExample?(options: Options): number;
}
