import type { SearchHit } from './knowledge-index.ts';

/**
 * When a known fix answers alone, and which notes the chat model sees otherwise. Thresholds are
 * per embedding model and come from calibration (`scripts/calibrate.ts`), never a hard-coded 0.75
 * (bge-m3 scores related pairs around 0.65: https://huggingface.co/BAAI/bge-m3).
 */
export interface Thresholds {
  /** The best score must reach this for a "Solution connue" answer. */
  readonly answer: number;
  /** …and beat the second best by at least this much, or two notes compete. */
  readonly margin: number;
  /** Notes below this score are not shown to the chat model: unrelated context misleads it. */
  readonly context: number;
  /** How many notes the chat model sees at most. */
  readonly maxContextNotes: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  answer: 0.8,
  margin: 0.05,
  context: 0.45,
  maxContextNotes: 3,
};

export type PolicyDecision =
  | { readonly kind: 'known-fix'; readonly hit: SearchHit; readonly margin: number }
  | { readonly kind: 'leads'; readonly context: readonly SearchHit[] };

/** Scores are sums of floats: 0.85 - 0.8 must count as a margin of 0.05. */
const EPSILON = 1e-9;

/** `hits` best first, as `KnowledgeIndex.search` returns them. */
export function decideAnswer(hits: readonly SearchHit[], thresholds: Thresholds): PolicyDecision {
  const [top, second] = hits;
  if (top !== undefined) {
    const margin = top.score - (second?.score ?? 0);
    if (top.score >= thresholds.answer - EPSILON && margin >= thresholds.margin - EPSILON) {
      return { kind: 'known-fix', hit: top, margin };
    }
  }
  const context = hits.filter((hit) => hit.score >= thresholds.context).slice(0, thresholds.maxContextNotes);
  return { kind: 'leads', context };
}

/** A score shown to people as a percentage: boosts can push it past 1, which means "certain". */
export function confidencePercent(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}
