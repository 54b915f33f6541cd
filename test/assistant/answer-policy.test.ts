import { describe, expect, it } from 'vitest';
import {
  answerThresholdFor,
  confidencePercent,
  decideAnswer,
  DEFAULT_THRESHOLDS,
  type Thresholds,
} from '../../src/assistant/answer-policy.ts';
import type { Evidence } from '../../src/assistant/exact-evidence.ts';
import type { SearchHit } from '../../src/assistant/knowledge-index.ts';
import { splitNote } from '../../src/assistant/knowledge-units.ts';
import { CLOSE_CASES_NOTE } from './close-cases-note.ts';

const thresholds: Thresholds = {
  answer: 0.8,
  lexicalAnswer: 0.8,
  margin: 0.05,
  context: 0.4,
  maxContextNotes: 2,
};

const NO_EVIDENCE: Evidence = { codes: [], brands: [], equipment: [], strength: 'none' };
const CODE_567: Evidence = { codes: ['567'], brands: ['Fronius'], equipment: [], strength: 'code+context' };

function hits(...scores: number[]): SearchHit[] {
  return scores.map((score, i) => ({
    unit: splitNote({ path: `n${i}.md`, text: `# Note ${i}` })[0]!,
    score,
    lexical: score,
    cosine: undefined,
    evidence: NO_EVIDENCE,
  }));
}

describe('the answer policy', () => {
  it('answers with the known fix when the best score reaches the threshold with the margin', () => {
    const decision = decideAnswer(hits(0.8, 0.75), thresholds);
    expect(decision).toMatchObject({ kind: 'known-fix', hit: { unit: { id: 'n0.md' } } });
  });

  it('asks the model just below the threshold', () => {
    expect(decideAnswer(hits(0.7999, 0.5), thresholds).kind).toBe('leads');
  });

  it('asks the model when the margin is just too small, even with a high score', () => {
    expect(decideAnswer(hits(0.95, 0.9001), thresholds).kind).toBe('leads');
    expect(decideAnswer(hits(0.95, 0.9), thresholds).kind).toBe('known-fix');
  });

  it('takes a lone note as having the whole margin', () => {
    expect(decideAnswer(hits(0.81), thresholds).kind).toBe('known-fix');
  });

  it('gives the model the best notes above the context threshold only', () => {
    const decision = decideAnswer(hits(0.7, 0.69, 0.5, 0.2), thresholds);
    expect(decision.kind === 'leads' && decision.context.map((hit) => hit.unit.id)).toEqual([
      'n0.md',
      'n1.md',
    ]);
    const weak = decideAnswer(hits(0.3, 0.2), thresholds);
    expect(weak.kind === 'leads' && weak.context).toEqual([]);
  });

  it('asks the model when there is no note at all', () => {
    expect(decideAnswer([], thresholds)).toEqual({ kind: 'leads', context: [] });
  });

  it('asks which note when several declare the code typed, whatever their scores', () => {
    const [a, b, c] = hits(0.99, 0.95, 0.5);
    const decision = decideAnswer(
      [
        { ...a!, evidence: { ...CODE_567, strength: 'code' } },
        { ...b!, evidence: { ...CODE_567, strength: 'code' } },
        c!,
      ],
      thresholds,
    );
    expect(decision).toMatchObject({ kind: 'choose', reason: 'shared-code' });
    expect(decision.kind === 'choose' && decision.options.map((hit) => hit.unit.id)).toEqual([
      'n0.md',
      'n1.md',
    ]);
  });

  it('answers with the one note whose brand or equipment goes with the code', () => {
    const [a, b] = hits(0.95, 0.7);
    const decision = decideAnswer(
      [
        { ...a!, evidence: CODE_567 },
        { ...b!, evidence: { ...CODE_567, brands: [], strength: 'code' } },
      ],
      thresholds,
    );
    expect(decision).toMatchObject({ kind: 'known-fix', hit: { unit: { id: 'n0.md' } } });
  });

  it('asks which case when the best two are cases of one note, and lists its close cases', () => {
    const cases = splitNote({ path: 'pac.md', text: '# PAC\n## Cas A\n## Cas B\n## Cas C' });
    const [x, y, z] = hits(0.9, 0.88, 0.3);
    const decision = decideAnswer(
      [
        { ...x!, unit: cases[0]! },
        { ...y!, unit: cases[1]! },
        { ...z!, unit: cases[2]! },
      ],
      thresholds,
    );
    expect(decision).toMatchObject({ kind: 'choose', reason: 'same-note' });
    expect(decision.kind === 'choose' && decision.options.map((hit) => hit.unit.id)).toEqual([
      'pac.md#cas-a',
      'pac.md#cas-b',
    ]);
  });

  it('with the default thresholds, asks between close cases that reach the answer threshold but not the context one', () => {
    // 0.40 answers, 0.45 is needed to be shown to the chat model: the best case scores between.
    const [a, b] = splitNote(CLOSE_CASES_NOTE);
    const hit = (unit: typeof a, score: number): SearchHit => ({
      unit: unit!,
      score,
      lexical: score,
      cosine: score,
      evidence: NO_EVIDENCE,
    });
    const decision = decideAnswer([hit(a, 0.43), hit(b, 0.42)], DEFAULT_THRESHOLDS);
    expect(decision).toMatchObject({ kind: 'choose', reason: 'same-note' });
    expect(decision.kind === 'choose' && decision.options.map((option) => option.unit.id)).toEqual([
      'pac/pac-bruit.md#ventilateur',
      'pac/pac-bruit.md#compresseur',
    ]);
  });

  it('never offers a choice of one: the best case is among the options with the close ones', () => {
    const cases = splitNote({ path: 'pac.md', text: '# PAC\n## Cas A\n## Cas B\n## Cas C' });
    // The best reaches the context threshold, the next is as close but does not.
    const [x, y, z] = hits(0.85, 0.8, 0.2);
    const decision = decideAnswer(
      [
        { ...x!, unit: cases[0]! },
        { ...y!, unit: cases[1]! },
        { ...z!, unit: cases[2]! },
      ],
      { ...thresholds, context: 0.82 },
    );
    expect(decision.kind === 'choose' && decision.options.map((hit) => hit.unit.id)).toEqual([
      'pac.md#cas-a',
      'pac.md#cas-b',
    ]);
  });

  it('uses the BM25 threshold for hits scored without embeddings', () => {
    const both = { ...thresholds, answer: 0.55, lexicalAnswer: 0.6 };
    expect(answerThresholdFor(both, 'hybrid').answer).toBe(0.55);
    expect(answerThresholdFor(both, 'lexical').answer).toBe(0.6);
  });

  it('shows scores as percentages, boosts capped at 100 %', () => {
    expect(confidencePercent(0.874)).toBe(87);
    expect(confidencePercent(1.2)).toBe(100);
  });
});
