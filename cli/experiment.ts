/**
 * The experiment as the engine commands see it: params.yaml (or -p FILE, with --set overrides) validated and
 * expanded into the node graph. Worker processes inherit the chosen backend through PIPELINE_BACKEND.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { GraphLoader } from './engine.ts';
import { experimentGraph } from '../experiment/graph.ts';
import { loadParams } from '../experiment/params.ts';

export const DEFAULT_PARAMS_FILE = 'params.yaml';

export const loadExperimentGraph: GraphLoader = async ({ paramsFile = DEFAULT_PARAMS_FILE, set }) => {
  const params = loadParams(paramsFile, set);
  process.env.PIPELINE_BACKEND = params.runtime.backend;
  return { nodes: experimentGraph(params), lockPath: lockPathFor(paramsFile) };
};

/**
 * Where a params file's lock lives: beside it, params.yaml → pipeline.lock (the one `metrics diff` reads by
 * default), any other NAME.yaml → NAME.lock, so running a preset never overwrites the default experiment's lock.
 */
export function lockPathFor(paramsFile: string): string {
  const name = basename(paramsFile, extname(paramsFile));
  return join(dirname(paramsFile), name === 'params' ? 'pipeline.lock' : `${name}.lock`);
}
