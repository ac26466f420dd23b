/**
 * What an experiment asks of the training backend, so that `repro` can say before it starts that a run is
 * GPU-sized. Training costs about 6 · parameters · tokens floating-point operations (forward and backward pass).
 */
import type { Plan, PlanNode } from '../engine/plan/graph.ts';
import { countParameters, gptConfig, type ModelSection, type TrainSection } from '../model/config.ts';
import trainStage, { type TrainParams } from '../stages/train.ts';
import { knownVocabularySize } from '../tasks/registry.ts';

/**
 * Effective training throughput of the wasm backend's native kernels on the paper's GPT shape as bench/model.ts
 * measured it on a 2-core AMD EPYC (1,046 tokens/s for 10,748,928 parameters, one thread; docs/tfjs-on-cpu.md), in
 * FLOP/s.
 */
export const CPU_TRAINING_FLOPS = 1046 * 6 * 10_748_928;

export interface TrainingWork {
  /** Distinct training nodes (shared ones counted once) that are not cached yet. */
  trainings: number;
  tokens: number;
  flops: number;
}

/** A node of the train stage, whose params slice is train's (experiment/graph.ts builds it so). */
function isTraining(node: PlanNode): node is PlanNode & { params: TrainParams } {
  return node.stage === trainStage;
}

export function trainingWork(plan: Plan, isCached: (sid: string) => boolean): TrainingWork {
  const work: TrainingWork = { trainings: 0, tokens: 0, flops: 0 };
  for (const node of plan.nodes) {
    if (!isTraining(node) || isCached(node.sid)) continue;
    const { model, train } = node.params;
    const flops = trainingFlops(model, train, knownVocabularySize(node.params));
    work.trainings++;
    work.tokens += flops.tokens;
    work.flops += flops.flops;
  }
  return work;
}

/** One training's tokens and floating-point operations (about 6 · parameters · tokens). */
export function trainingFlops(
  model: ModelSection,
  train: TrainSection,
  vocabularySize: number,
): { tokens: number; flops: number } {
  const tokens = train.steps * train.batch_size * model.block_size;
  return { tokens, flops: 6 * countParameters(gptConfig(model, vocabularySize)) * tokens };
}
