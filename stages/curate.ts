/**
 * curate: what of S_t the cycle may use to build D_{t+1}, for the questions the paper leaves open (docs/EXPERIMENT.md
 * §7). The verified and syntactic modes ask the task's judge (for Boolean expressions, a perfect verifier, so every
 * mode is exact); a task without one is refused those modes when params are read:
 *
 * - none:      S_t as sampled, the paper's self-consuming loop (no curate node is built, so no key changes).
 * - verified:  only the samples the judge finds correct (for logic: parse and evaluate to True).
 * - syntactic: only the samples the judge finds well-formed (for logic: parse).
 * - unique:    the first occurrence of each distinct sample.
 * - capped:    diversity-preserving: at most `max_copies` occurrences of each distinct sample (the first ones), so a
 *              mode the model collapses onto cannot crowd out the rarer expressions, which all stay.
 * - qd:        quality-diversity (MAP-Elites-style): each distinct sample falls in a niche by two descriptors, its
 *              length in tokens and its number of distinct tokens (by the task's tokenizer); at most `niche_size`
 *              distinct samples are kept per niche, those the judge finds correct first (where the task has a
 *              judge), then by first occurrence. So the kept set covers every shape S_t has, few of each.
 *
 * qd's descriptors are the task's tokens, so they mean the same for every task (for logic, length × the mix of
 * operators and constants used; for text, length × distinct characters or words) and need no parser: the issue's
 * depth × length for logic and length × distinct words for text would follow each task's structure more closely,
 * at the price of a descriptor per task, and depth only for samples that parse.
 *
 * Order is kept. Eval still measures the raw S_t (what the model produces); the kept and dropped counts become the
 * node's metrics. What a cycle does when the curated S_t is shorter than what it takes is build-dataset's rule.
 */
import { z } from 'zod';
import { defineStage } from '../engine/stage.ts';
import type { TaskSlice } from '../tasks/registry.ts';
import type { Judgement } from '../tasks/task.ts';

export const CURATION_MODES = ['none', 'verified', 'syntactic', 'unique', 'capped', 'qd'] as const;
export type CurationMode = (typeof CURATION_MODES)[number];
/** The modes that ask the task's judge, and what of its verdict they keep. */
export const JUDGED_MODES: Readonly<Partial<Record<CurationMode, keyof Judgement>>> = {
  verified: 'semantic',
  syntactic: 'syntactic',
};

/** params.yaml's `curation` section. */
export const curationSection = z
  .strictObject({
    /** What is kept of S_t before the cycle builds D_{t+1}; none = the paper's uncurated loop. */
    mode: z.enum(CURATION_MODES),
    /** capped mode: copies of one expression kept at most. */
    max_copies: z.number().int().positive(),
    /** qd mode: distinct samples kept at most per niche. */
    niche_size: z.number().int().positive().default(2),
  })
  .default({ mode: 'none', max_copies: 3, niche_size: 2 }); // a params file from before curation runs as it did
export type CurationSection = z.infer<typeof curationSection>;

export type CurateParams = {
  mode: Exclude<CurationSection['mode'], 'none'>;
  /** Only the capped mode reads it, so only it carries it (and a sweep over it shares the other modes' nodes). */
  max_copies?: CurationSection['max_copies'];
  /** Likewise only the qd mode carries it. */
  niche_size?: CurationSection['niche_size'];
  generation: number;
} & TaskSlice;

export default defineStage<CurateParams>({
  name: 'curate',
  module: new URL('./run/curate.ts', import.meta.url).href,
  inputs: ['samples'],
  outputs: ['samples'],
});
