import { describe, expect, it } from 'vitest';
import { confidencePercent, decideAnswer, type Thresholds } from '../../src/assistant/answer-policy.ts';
import type { SearchHit } from '../../src/assistant/knowledge-index.ts';
import { splitNote } from '../../src/assistant/knowledge-units.ts';

const thresholds: Thresholds = { answer: 0.8, margin: 0.05, context: 0.4, maxContextNotes: 2 };

function hits(...scores: number[]): SearchHit[] {
  return scores.map((score, i) => ({
    unit: splitNote({ path: `n${i}.md`, text: `# Note ${i}` })[0]!,
    score,
    cosine: score,
    matchedCodes: [],
    matchedBrands: [],
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

  it('shows scores as percentages, boosts capped at 100 %', () => {
    expect(confidencePercent(0.874)).toBe(87);
    expect(confidencePercent(1.2)).toBe(100);
  });
});
