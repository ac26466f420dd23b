/**
 * What an experiment asks of the training backend, so that `repro` can say before it starts that a run is
 * GPU-sized. Training costs about 6 · parameters · tokens floating-point operations (forward and backward pass).
 */
import type { Plan, PlanNode } from '../engine/graph.ts';
import { countParameters } from '../model/config.ts';
import trainStage, { gptConfig, type TrainParams } from '../stages/train.ts';

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
    const tokens = train.steps * train.batch_size * model.block_size;
    work.trainings++;
    work.tokens += tokens;
    work.flops += 6 * countParameters(gptConfig(model)) * tokens;
  }
  return work;
}
