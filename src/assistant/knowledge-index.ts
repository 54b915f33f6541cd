import { codeCandidates } from './error-codes.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';
import { fold } from './text-fold.ts';

/**
 * The known fixes in memory with their vectors: a brute-force cosine scan, which takes a few
 * milliseconds for thousands of notes (measured by `make bench`), plus exact-match boosts for error
 * codes and brands, which dense embeddings handle poorly.
 */

export interface IndexedUnit {
  readonly unit: KnowledgeUnit;
  readonly vector: Float32Array;
}

export interface SearchOptions {
  /** Added when the question names one of the unit's error codes (`567`, `E-12`). */
  readonly codeBoost: number;
  /** Added when the question names one of the unit's brands or models (`Fronius`). */
  readonly brandBoost: number;
}

export const DEFAULT_SEARCH_OPTIONS: SearchOptions = { codeBoost: 0.25, brandBoost: 0.05 };

export interface SearchHit {
  readonly unit: KnowledgeUnit;
  /** Cosine plus boosts: what thresholds compare. Can exceed 1 with boosts. */
  readonly score: number;
  readonly cosine: number;
  readonly matchedCodes: readonly string[];
  readonly matchedBrands: readonly string[];
}

/** The query's vector does not have the index's dimension: the model changed under its name. */
export class EmbeddingDimensionError extends Error {
  constructor(expected: number, got: number) {
    super(`embedding has ${got} dimensions, the index ${expected}: the notes must be embedded again`);
    this.name = 'EmbeddingDimensionError';
  }
}

export class KnowledgeIndex {
  readonly model: string;
  /** Undefined while the index is empty. */
  readonly dimensions: number | undefined;
  private readonly entries: readonly IndexedUnit[];

  constructor(model: string, entries: readonly IndexedUnit[]) {
    this.model = model;
    this.dimensions = entries[0]?.vector.length;
    for (const entry of entries) {
      if (entry.vector.length !== this.dimensions) {
        throw new EmbeddingDimensionError(this.dimensions!, entry.vector.length);
      }
    }
    this.entries = entries.map((entry) => ({ unit: entry.unit, vector: normalised(entry.vector) }));
  }

  get size(): number {
    return this.entries.length;
  }

  get units(): KnowledgeUnit[] {
    return this.entries.map((entry) => entry.unit);
  }

  /** Every unit, best first. `question` is the raw text, for the exact matches. */
  search(question: string, queryVector: readonly number[], options: SearchOptions = DEFAULT_SEARCH_OPTIONS) {
    if (this.dimensions !== undefined && queryVector.length !== this.dimensions) {
      throw new EmbeddingDimensionError(this.dimensions, queryVector.length);
    }
    const query = normalised(Float32Array.from(queryVector));
    const candidates = codeCandidates(question);
    const foldedQuestion = ` ${fold(question).replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
    const hits = this.entries.map(({ unit, vector }): SearchHit => {
      const cosine = dot(query, vector);
      const matchedCodes = unit.codes.filter((code) => candidates.has(code));
      const matchedBrands = unit.brands.filter((brand) => foldedQuestion.includes(` ${wordsOf(brand)} `));
      const score =
        cosine +
        (matchedCodes.length > 0 ? options.codeBoost : 0) +
        (matchedBrands.length > 0 ? options.brandBoost : 0);
      return { unit, score, cosine, matchedCodes, matchedBrands };
    });
    return hits.sort((a, b) => b.score - a.score || a.unit.id.localeCompare(b.unit.id));
  }
}

function wordsOf(text: string): string {
  return fold(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * /api/embed already normalises (https://docs.ollama.com/capabilities/embeddings); a proxy or
 * another endpoint might not.
 */
function normalised(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0 || Math.abs(norm - 1) < 1e-6) return vector;
  return vector.map((x) => x / norm);
}
