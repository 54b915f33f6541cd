import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  evaluateThresholds,
  type PairOutcome,
  suggestThreshold,
  thresholdRange,
  topOneAccuracy,
} from '../../src/assistant/calibration.ts';
import type { SearchHit } from '../../src/assistant/knowledge-index.ts';
import { splitNote } from '../../src/assistant/knowledge-units.ts';

const hit = (id: string, score: number): SearchHit => ({
  unit: { ...splitNote({ path: id, text: `# ${id}` })[0]!, id },
  score,
  lexical: score,
  cosine: undefined,
  evidence: { codes: [], brands: [], equipment: [], strength: 'none' },
});

const outcomes: PairOutcome[] = [
  { pair: { question: 'a', expected: 'A' }, hits: [hit('A', 0.9), hit('B', 0.5)] },
  { pair: { question: 'b', expected: 'B' }, hits: [hit('B', 0.7), hit('A', 0.4)] },
  { pair: { question: 'c', expected: 'C' }, hits: [hit('A', 0.65), hit('C', 0.62)] },
  { pair: { question: 'none', expected: null }, hits: [hit('A', 0.75), hit('B', 0.3)] },
];

describe('calibration', () => {
  it('counts precision and recall of known-fix answers per threshold', () => {
    const rows = evaluateThresholds(outcomes, [0.6, 0.7, 0.8], 0.05);
    expect(rows.map(({ answer, answered, correct }) => ({ answer, answered, correct }))).toEqual([
      // 0.65 vs 0.62 for "c" is within the margin: not answered.
      { answer: 0.6, answered: 3, correct: 2 },
      { answer: 0.7, answered: 3, correct: 2 },
      { answer: 0.8, answered: 1, correct: 1 },
    ]);
    expect(rows[0]!.precision).toBeCloseTo(2 / 3);
    expect(rows[0]!.recall).toBeCloseTo(2 / 3);
    expect(rows[2]).toMatchObject({ precision: 1, recall: 1 / 3 });
  });

  it('suggests the lowest threshold reaching the wanted precision', () => {
    const rows = evaluateThresholds(outcomes, thresholdRange(0.6, 0.9, 0.05), 0.05);
    expect(suggestThreshold(rows, 0.95)?.answer).toBe(0.8);
    expect(suggestThreshold(rows, 0.5)?.answer).toBe(0.6);
  });

  it('measures how often the right note comes first at all', () => {
    expect(topOneAccuracy(outcomes)).toBeCloseTo(2 / 3);
  });

  it('steps thresholds without float drift', () => {
    expect(thresholdRange(0.3, 0.5, 0.05)).toEqual([0.3, 0.35, 0.4, 0.45, 0.5]);
  });

  it('runs as a script over the example set with the stand-in and prints a table', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/calibrate.ts', '--stand-in'], {
      cwd: process.cwd(),
    });
    expect(stdout).toMatch(/\d+ known fixes, \d+ labelled reports/u);
    expect(stdout).toContain('answer ≥  margin ≥  answered  correct  precision  recall');
    expect(stdout).toContain('== lexical only (BM25, Ollama down)');
    expect(stdout).toContain('== embeddings only');
    expect(stdout).toContain('== hybrid (BM25 + embeddings, what the assistant uses)');
    expect(stdout).toMatch(/lowest threshold with precision ≥ 95 % from there up: [\d.]+/u);
  });
});
