import { decideAnswer, type Thresholds } from './answer-policy.ts';
import type { SearchHit } from './knowledge-index.ts';

/**
 * Choosing the thresholds from labelled (report, right note) pairs, per embedding model
 * (https://github.com/FlagOpen/FlagEmbedding, FAQ on similarity scores): the answer threshold is set for precision (a wrong
 * "Solution connue" costs a trip), recall says how often the model is spared.
 */

export interface LabelledPair {
  readonly question: string;
  /** The unit id that should answer, or null when no note should (the model must be asked). */
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
  /** Pairs that would get a "Solution connue". */
  readonly answered: number;
  /** …with the expected note. */
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
    const thresholds: Thresholds = { answer, margin, context: 0, maxContextNotes: 0 };
    let answered = 0;
    let correct = 0;
    for (const { pair, hits } of outcomes) {
      const decision = decideAnswer(hits, thresholds);
      if (decision.kind !== 'known-fix') continue;
      answered += 1;
      if (decision.hit.unit.id === pair.expected) correct += 1;
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

/** The lowest answer threshold whose precision reaches `minPrecision` with some recall. */
export function suggestThreshold(
  rows: readonly ThresholdRow[],
  minPrecision: number,
): ThresholdRow | undefined {
  return [...rows]
    .sort((a, b) => a.answer - b.answer)
    .find((row) => row.precision >= minPrecision && row.correct > 0);
}

/** How often the right note is the best hit at all, whatever the thresholds: retrieval quality. */
export function topOneAccuracy(outcomes: readonly PairOutcome[]): number {
  const answerable = outcomes.filter((outcome) => outcome.pair.expected !== null);
  if (answerable.length === 0) return 0;
  return (
    answerable.filter((outcome) => outcome.hits[0]?.unit.id === outcome.pair.expected).length /
    answerable.length
  );
}

/** From `from` to `to` by `step`, without float drift (0.3, 0.35, … 0.95). */
export function thresholdRange(from: number, to: number, step: number): number[] {
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => Math.round((from + i * step) * 1e6) / 1e6);
}
