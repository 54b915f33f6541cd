import type { Retrieval, SearchHit } from './knowledge-index.ts';

/**
 * When a known fix answers alone, when the technician is asked to choose between known fixes,
 * and which notes the chat model sees otherwise. Thresholds come from calibration
 * (`scripts/calibrate.ts`, calibration/README.md), never a hard-coded 0.75 (bge-m3 scores
 * related pairs around 0.65: https://huggingface.co/BAAI/bge-m3).
 */
export interface Thresholds {
  /** The best hybrid score (BM25 and embeddings) must reach this for a "Solution connue" answer. */
  readonly answer: number;
  /** …or this one while Ollama cannot embed the question (BM25 alone scores otherwise). */
  readonly lexicalAnswer: number;
  /** …and beat the second best by at least this much, or two notes compete. */
  readonly margin: number;
  /** Notes below this score are not shown to the chat model: unrelated context misleads it. */
  readonly context: number;
  /** How many notes the chat model sees at most. */
  readonly maxContextNotes: number;
}

/** From the calibration run written down in calibration/README.md. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  answer: 0.4,
  lexicalAnswer: 0.45,
  margin: 0.05,
  context: 0.45,
  maxContextNotes: 3,
};

/** Buttons under one message: a choice longer than this is no choice. */
export const MAX_CHOICES = 5;

export type Choices = readonly [SearchHit, SearchHit, ...SearchHit[]];

export type PolicyDecision =
  | { readonly kind: 'known-fix'; readonly hit: SearchHit; readonly margin: number }
  /**
   * Known fixes the question fits equally: several notes declare the code typed (`shared-code`),
   * or a note's cases are all as close (`same-note`). Guessing would send a wrong procedure.
   */
  | {
      readonly kind: 'choose';
      readonly reason: 'shared-code' | 'same-note';
      /** Two at least: a choice of one (or none) is no choice. */
      readonly options: Choices;
    }
  | { readonly kind: 'leads'; readonly context: readonly SearchHit[] };

/**
 * How far the best case of a note must lead its other cases to be answered alone. Cases share
 * the note's title and metadata, so their scores sit closer together than two notes' do.
 */
export const CASE_MARGIN = 0.1;

/** Scores are sums of floats: 0.85 - 0.8 must count as a margin of 0.05. */
const EPSILON = 1e-9;

/**
 * `hits` best first, as `KnowledgeIndex.search` returns them; `thresholds.answer` is the one of
 * the retrieval that scored them (see `answerThresholdFor`).
 */
export function decideAnswer(
  hits: readonly SearchHit[],
  thresholds: Omit<Thresholds, 'lexicalAnswer'>,
): PolicyDecision {
  const sharedCode = choices(notesSharingTheCode(hits));
  if (sharedCode) return { kind: 'choose', reason: 'shared-code', options: sharedCode };
  const [top] = hits;
  if (top !== undefined && top.score >= thresholds.answer - EPSILON) {
    const rival = hits.find((hit) => hit.unit.path !== top.unit.path);
    const margin = top.score - (rival?.score ?? 0);
    if (margin >= thresholds.margin - EPSILON) {
      const cases = hits.filter((hit) => hit.unit.path === top.unit.path);
      const [, nextCase] = cases;
      const singledOut =
        nextCase === undefined ||
        top.evidence.strength !== 'none' ||
        top.score - nextCase.score >= CASE_MARGIN - EPSILON;
      if (singledOut) return { kind: 'known-fix', hit: top, margin };
      // The note is right, but nothing the technician said tells its cases apart: ask which,
      // among the cases as close as the best one (the best and the next one included) and any
      // other case close enough to be shown to the chat model. The context threshold alone
      // would leave out the best when it reaches the answer threshold but not that one.
      const options = choices(
        cases.filter(
          (hit) => top.score - hit.score < CASE_MARGIN - EPSILON || hit.score >= thresholds.context - EPSILON,
        ),
      );
      // Always two or more (the next case is as close); were it not, a choice of one is no choice.
      return options
        ? { kind: 'choose', reason: 'same-note', options }
        : { kind: 'known-fix', hit: top, margin };
    }
  }
  const context = hits.filter((hit) => hit.score >= thresholds.context).slice(0, thresholds.maxContextNotes);
  return { kind: 'leads', context };
}

/**
 * The notes with the strongest code evidence, when more than one has it: the code typed does not
 * tell them apart, and neither does the brand or the equipment named with it.
 */
function notesSharingTheCode(hits: readonly SearchHit[]): SearchHit[] {
  const strongest = hits.some((hit) => hit.evidence.strength === 'code+context') ? 'code+context' : 'code';
  return hits.filter((hit) => hit.evidence.strength === strongest).slice(0, MAX_CHOICES);
}

/** The first `MAX_CHOICES` hits, when there are two at least. */
function choices(hits: readonly SearchHit[]): Choices | undefined {
  const [first, second, ...rest] = hits.slice(0, MAX_CHOICES);
  return first && second ? [first, second, ...rest] : undefined;
}

/** The thresholds to decide with, for hits scored by `retrieval`. */
export function answerThresholdFor(thresholds: Thresholds, retrieval: Retrieval): Thresholds {
  return retrieval === 'lexical' ? { ...thresholds, answer: thresholds.lexicalAnswer } : thresholds;
}

/** A score shown to people as a percentage. */
export function confidencePercent(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}
