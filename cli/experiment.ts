/**
 * The experiment as the engine commands see it: params.yaml (or -p FILE, with --set overrides) validated and
 * expanded into the node graph (the graph hands the model stages their backend). Before a repro, training work
 * that would take hours on this backend is announced with an estimate.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { GraphLoader } from './engine.ts';
import type { Plan } from '../engine/plan/graph.ts';
import { assess } from '../engine/plan/status.ts';
import type { Store } from '../engine/store/store.ts';
import { CPU_TRAINING_FLOPS, trainingWork, type TrainingWork } from '../experiment/estimate.ts';
import { experimentGraph } from '../experiment/graph.ts';
import { loadParams, type ParamsFile } from '../experiment/params.ts';
import { recordParams } from '../experiment/provenance.ts';
import buildDataset from '../stages/build-dataset.ts';
import evaluate from '../stages/eval.ts';
import genD0 from '../stages/gen-d0.ts';
import genHeldout from '../stages/gen-heldout.ts';

const DEFAULT_PARAMS_FILE = 'params.yaml';

/** Warn when the estimate exceeds this many hours. */
const WARN_HOURS = 1;

export const loadExperimentGraph: GraphLoader = async ({ paramsFile = DEFAULT_PARAMS_FILE, set }) => {
  const params = loadParams(paramsFile, set);
  const nodes = experimentGraph(params);
  // eval runs a model where it measures perplexities (eval.perplexity): a forward pass over S_t and the held-out rows.
  const evalRunsModel = nodes.some((node) => node.stage === evaluate && node.inputs.weights !== undefined);
  return {
    nodes,
    lockPath: lockPathFor(paramsFile),
    params: recordParams(params, paramsFile, set),
    beforeRepro: (plan, store) => warnIfGpuSized(params, plan, store),
    // Each takes well under a second even at the paper's scale: not worth a Slurm job of its own.
    cheapStages: [genD0, genHeldout, buildDataset, ...(evalRunsModel ? [] : [evaluate])],
  };
};

/**
 * Where a params file's lock lives: beside it, params.yaml → pipeline.lock (the one `metrics diff` reads by
 * default), any other NAME.yaml → NAME.lock, so running a preset never overwrites the default experiment's lock.
 */
export function lockPathFor(paramsFile: string): string {
  const name = basename(paramsFile, extname(paramsFile));
  return join(dirname(paramsFile), name === 'params' ? 'pipeline.lock' : `${name}.lock`);
}

async function warnIfGpuSized(params: ParamsFile, plan: Plan, store: Store): Promise<void> {
  const hoursOf = (work: TrainingWork) => work.flops / CPU_TRAINING_FLOPS / 3600;
  // Ask the store what is cached only when the whole experiment is big enough to matter: a small one skips it.
  if (hoursOf(trainingWork(plan, () => false)) < WARN_HOURS) return;
  const cached = new Set(
    assess(plan, store)
      .filter((s) => s.state === 'cached')
      .map((s) => s.node.sid),
  );
  const work = trainingWork(plan, (sid) => cached.has(sid));
  const hours = hoursOf(work);
  if (hours < WARN_HOURS) return;
  // Only now load TensorFlow.js: a small experiment should not pay for the check.
  const { selectBackend } = await import('../model/backend.ts');
  const { name, report } = await selectBackend(params.runtime.backend);
  if (report.onGpu) return;
  console.error(
    `warning: this run trains ${work.trainings} models on ${(work.tokens / 1e9).toFixed(2)}G tokens ` +
      `(${(work.flops / 1e15).toFixed(1)} PFLOP) on the ${name} backend. This scale needs a GPU (tfjs-node-gpu or webgpu; ` +
      `see \`npx tsx pipeline.ts doctor\`): at the ${(CPU_TRAINING_FLOPS / 1e9).toFixed(0)} GFLOP/s measured on a ` +
      `2-core CPU it would take about ${formatHours(hours)}. Ctrl-C stops a run; the next repro resumes it.`,
  );
}

function formatHours(hours: number): string {
  if (hours < 48) return `${hours.toFixed(1)} hours`;
  if (hours < 24 * 365) return `${(hours / 24).toFixed(0)} days`;
  return `${(hours / 24 / 365).toFixed(1)} years`;
}
