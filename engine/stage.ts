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

declare const paramsType: unique symbol;

/**
 * A stage as a graph declares it: its name, ports and params type P. Planning needs no more, so a graph imports
 * declarations only; the code that runs it is elsewhere, at `module`.
 */
export interface Stage<P extends Json = Json> {
  name: string;
  /**
   * The URL of the module that implements the stage (a StageImplementation): the code fingerprint starts there and
   * a worker imports it. A file implementing several stages names the export after '#' (`${import.meta.url}#scale`);
   * otherwise the default export. A declaration kept apart names it with `new URL('./run/x.ts', import.meta.url)`.
   */
  module: string;
  inputs: readonly string[];
  /** Ports a node may leave unconnected: what feeds a feature that params can turn off. */
  optionalInputs?: readonly string[];
  outputs: readonly string[];
  /** Never set: it carries P in the type, so that a graph's slice for the stage is checked against it. */
  readonly [paramsType]?: P;
}

/** A stage with the code that runs it: what a worker finds at Stage.module. */
export interface StageImplementation<P extends Json = Json> extends Stage<P> {
  run(ctx: StageContext<P>): Promise<Record<string, Table>>;
}

export function defineStage<P extends Json>(def: Stage<P>): Stage<P> {
  if (!def.name || !def.module)
    throw new Error('defineStage: a stage needs a name and module (the URL of its implementation)');
  return def;
}

/** The implementation of a declared stage, for its module's export. */
export function implementStage<P extends Json>(
  stage: Stage<P>,
  run: StageImplementation<P>['run'],
): StageImplementation<P> {
  return { ...stage, run };
}

/** The file URL and export name that a worker imports to find a stage, from its `module`. */
export function stageLocation(module: string): { file: string; exportName: string } {
  const [file, exportName] = module.split('#');
  return { file, exportName: exportName || 'default' };
}
