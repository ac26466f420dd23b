/**
 * The contract between the engine and a stage. A stage is a pure function of its params slice and its input
 * tables; it never sees paths, hashes or other stages.
 */
import type { Table } from 'apache-arrow';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface StageContext<P extends Json = Json> {
  params: P;
  /** How to run, not what (NodeSpec.runtime): never part of the cache key, so it must not change the outputs. */
  runtime: Record<string, Json>;
  inputs: Record<string, Table>;
  /**
   * No other node of the plan can run beside this one (engine/plan/graph.ts loneNodes): the stage may use every core it
   * is given. Decided by the plan, so it is the same in every run of it.
   */
  alone: boolean;
  /** uint32 derived from the node's structural identity: shared nodes share seeds. */
  seed: number;
  /** Drives the progress display and its ETA. */
  progress(done: number, total: number, note?: string): void;
  /** Kept in the node's log file. */
  log(message: string): void;
  /**
   * A warning for the person running repro, printed once (however many nodes give it) when the run ends, and kept
   * in the node's log: the way to say something that matters about how a node ran.
   */
  warn(message: string): void;
  /** Scalars saved in the run record and pipeline.lock. */
  metric(name: string, value: number | string): void;
  /** Scratch kept apart from objects/ until the node commits, so a killed run resumes; save is atomic. */
  checkpoint: { load(): Promise<Table | undefined>; save(table: Table): Promise<void> };
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export interface Stage<P extends Json = Json> {
  name: string;
  /**
   * import.meta.url of the defining file: the code fingerprint starts there and a worker imports it. A file
   * defining several stages names the export after '#' (`${import.meta.url}#scale`); otherwise the default export.
   */
  module: string;
  inputs: readonly string[];
  outputs: readonly string[];
  run(ctx: StageContext<P>): Promise<Record<string, Table>>;
}

export function defineStage<P extends Json>(def: Stage<P>): Stage<P> {
  if (!def.name || !def.module) throw new Error('defineStage: a stage needs a name and module (import.meta.url)');
  return def;
}

/** The file URL and export name that a worker imports to find a stage, from its `module`. */
export function stageLocation(module: string): { file: string; exportName: string } {
  const [file, exportName] = module.split('#');
  return { file, exportName: exportName || 'default' };
}
