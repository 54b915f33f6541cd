import { decideAnswer, type PolicyDecision } from './answer-policy.ts';
import type { SearchHit } from './knowledge-index.ts';

/**
 * Choosing the thresholds from labelled (report, right note) pairs, per embedding model and for
 * BM25 alone: the answer threshold is set for precision (a wrong "Solution connue" costs a
 * trip), recall says how often the chat model is spared. See calibration/README.md.
 */

export interface LabelledPair {
  readonly question: string;
  /**
   * The unit id that should answer; a note's path when the report fits all its cases alike (the
   * technician should be asked which); null when no note should (the chat model must be asked).
   */
  readonly expected: string | null;
}

export interface PairOutcome {
  readonly pair: LabelledPair;
  /** Search results, best first. */
  readonly hits: readonly SearchHit[];
}

export interface ThresholdRow {
  readonly answer: number;
  readonly margin: number;
  /** Pairs that would get a "Solution connue", or the choice between known fixes. */
  readonly answered: number;
  /** …with the expected note (among the choices, for a choice). */
  readonly correct: number;
  /** correct / answered (1 when nothing is answered: no wrong answer was given). */
  readonly precision: number;
  /** correct / pairs that have an expected note. */
  readonly recall: number;
}

export function evaluateThresholds(
  outcomes: readonly PairOutcome[],
  answerThresholds: readonly number[],
  margin: number,
): ThresholdRow[] {
  const answerable = outcomes.filter((outcome) => outcome.pair.expected !== null).length;
  return answerThresholds.map((answer) => {
    const thresholds = { answer, margin, context: 0, maxContextNotes: 0 };
    let answered = 0;
    let correct = 0;
    for (const { pair, hits } of outcomes) {
      const decision = decideAnswer(hits, thresholds);
      if (decision.kind === 'leads') continue;
      answered += 1;
      if (isRight(decision, pair.expected)) correct += 1;
    }
    return {
      answer,
      margin,
      answered,
      correct,
      precision: answered === 0 ? 1 : correct / answered,
      recall: answerable === 0 ? 0 : correct / answerable,
    };
  });
}

/**
 * A known fix is right when it is the expected unit; a choice, when the expected unit is one of
 * its buttons or the choice is between the cases of the expected note.
 */
export function isRight(decision: PolicyDecision, expected: string | null): boolean {
  if (expected === null) return false;
  if (decision.kind === 'known-fix') return decision.hit.unit.id === expected;
  if (decision.kind === 'choose') {
    return decision.options.some((hit) => hit.unit.id === expected || hit.unit.path === expected);
  }
  return false;
}

/**
 * The lowest answer threshold from which precision stays at `minPrecision` or more for every
 * higher threshold, with some correct answer: one lucky threshold between two bad ones is noise.
 */
export function suggestThreshold(
  rows: readonly ThresholdRow[],
  minPrecision: number,
): ThresholdRow | undefined {
  const ascending = [...rows].sort((a, b) => a.answer - b.answer);
  return ascending.find(
    (row, i) => row.correct > 0 && ascending.slice(i).every((higher) => higher.precision >= minPrecision),
  );
}

/** How often the right note is the best hit at all, whatever the thresholds: retrieval quality. */
export function topOneAccuracy(outcomes: readonly PairOutcome[]): number {
  const answerable = outcomes.filter((outcome) => outcome.pair.expected !== null);
  if (answerable.length === 0) return 0;
  return (
    answerable.filter((outcome) => rankedFirst(outcome.hits[0], outcome.pair.expected)).length /
    answerable.length
  );
}

/** The best hit is the expected unit, or a case of the expected note. */
export function rankedFirst(hit: SearchHit | undefined, expected: string | null): boolean {
  return hit !== undefined && (hit.unit.id === expected || hit.unit.path === expected);
}

/** From `from` to `to` by `step`, without float drift (0.3, 0.35, … 0.95). */
export function thresholdRange(from: number, to: number, step: number): number[] {
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => Math.round((from + i * step) * 1e6) / 1e6);
}
