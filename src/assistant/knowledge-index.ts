import { type Evidence, QuestionEvidence } from './exact-evidence.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';
import { LexicalIndex } from './lexical-index.ts';

/**
 * The known fixes in memory: exact evidence first (a code the technician typed that a note
 * declares), then a hybrid of BM25 and the embedding cosine (a brute-force scan, a few
 * milliseconds for thousands of notes, measured by `make bench`), or BM25 alone while Ollama
 * cannot embed the question.
 */

export interface IndexedUnit {
  readonly unit: KnowledgeUnit;
  /** Undefined while the notes could not be embedded (Ollama down at the first sync). */
  readonly vector: Float32Array | undefined;
}

export interface SearchOptions {
  /** Share of the cosine in the hybrid score; BM25 has the rest. */
  readonly embeddingWeight: number;
}

export const DEFAULT_SEARCH_OPTIONS: SearchOptions = { embeddingWeight: 0.5 };

/** Where a code typed with its brand or equipment puts a note: above any similarity alone. */
export const EXACT_FLOOR = 0.9;
/** …and a code alone, when the note names a brand or equipment the question does not. */
export const CODE_FLOOR = 0.6;

/** What is left of the similarity of a note about another maker than the one named. */
export const OTHER_MAKER_FACTOR = 0.5;

export interface SearchHit {
  readonly unit: KnowledgeUnit;
  /** What thresholds compare, in [0, 1]: exact evidence first, then the text similarity. */
  readonly score: number;
  /** BM25 mapped to [0, 1). */
  readonly lexical: number;
  /** Undefined when the question was not embedded. */
  readonly cosine: number | undefined;
  readonly evidence: Evidence;
}

export type Retrieval = 'hybrid' | 'lexical';

/** The query's vector does not have the index's dimension: the model changed under its name. */
export class EmbeddingDimensionError extends Error {
  constructor(expected: number, got: number) {
    super(`embedding has ${got} dimensions, the index ${expected}: the notes must be embedded again`);
    this.name = 'EmbeddingDimensionError';
  }
}

export class KnowledgeIndex {
  readonly model: string;
  /** Undefined while the index is empty or holds no vectors. */
  readonly dimensions: number | undefined;
  private readonly entries: readonly IndexedUnit[];
  private readonly lexical: LexicalIndex;

  constructor(model: string, entries: readonly IndexedUnit[]) {
    this.model = model;
    this.dimensions = entries[0]?.vector?.length;
    for (const entry of entries) {
      if (entry.vector?.length !== this.dimensions) {
        throw new EmbeddingDimensionError(this.dimensions ?? 0, entry.vector?.length ?? 0);
      }
    }
    this.entries = entries.map((entry) => ({
      unit: entry.unit,
      vector: entry.vector && normalised(entry.vector),
    }));
    this.lexical = new LexicalIndex(this.units);
  }

  /** An index of the notes without vectors: what the assistant has while Ollama cannot embed. */
  static lexicalOnly(model: string, units: readonly KnowledgeUnit[]): KnowledgeIndex {
    return new KnowledgeIndex(
      model,
      units.map((unit) => ({ unit, vector: undefined })),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  /** The notes have vectors: a question's embedding can be compared with them. */
  get embedded(): boolean {
    return this.dimensions !== undefined;
  }

  get units(): KnowledgeUnit[] {
    return this.entries.map((entry) => entry.unit);
  }

  /**
   * Every unit, best first. `question` is the raw text; `queryVector` its embedding, or
   * undefined for BM25 alone (degraded mode: Ollama down).
   */
  search(
    question: string,
    queryVector: readonly number[] | undefined,
    options: SearchOptions = DEFAULT_SEARCH_OPTIONS,
  ): SearchHit[] {
    const query = queryVector && this.embedded ? this.queryVector(queryVector) : undefined;
    const lexicalScores = this.lexical.scores(question);
    const evidence = new QuestionEvidence(question, this.units);
    const hits = this.entries.map(({ unit, vector }): SearchHit => {
      const lexical = lexicalScores.get(unit.id) ?? 0;
      const cosine = query && vector ? Math.max(0, dot(query, vector)) : undefined;
      const similarity =
        cosine === undefined
          ? lexical
          : options.embeddingWeight * cosine + (1 - options.embeddingWeight) * lexical;
      const found = evidence.of(unit);
      return { unit, score: withEvidence(similarity, found), lexical, cosine, evidence: found };
    });
    return hits.sort((a, b) => b.score - a.score || a.unit.id.localeCompare(b.unit.id));
  }

  private queryVector(vector: readonly number[]): Float32Array {
    if (vector.length !== this.dimensions) throw new EmbeddingDimensionError(this.dimensions!, vector.length);
    return normalised(Float32Array.from(vector));
  }
}

/**
 * Exact evidence sets a floor, and the similarity still orders notes above it: two notes with the
 * same code and brand stay close (then the technician is asked which one), never tied by chance.
 */
function withEvidence(similarity: number, evidence: Evidence): number {
  switch (evidence.strength) {
    case 'code+context':
      return EXACT_FLOOR + (1 - EXACT_FLOOR) * similarity;
    case 'code':
      return CODE_FLOOR + (EXACT_FLOOR - CODE_FLOOR) * similarity;
    case 'none':
      return similarity;
    case 'other-maker':
      // Another maker's fault reads like this note (same code, same words) but is not its fix.
      return OTHER_MAKER_FACTOR * similarity;
  }
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
