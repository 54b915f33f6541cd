import type { Generated } from 'kysely';

/**
 * The assistant's tables, as migration 0004-assistant creates them. The app's `Database` includes
 * them; the assistant's code only ever sees these two.
 */
// A type, not an interface: Kysely's `withTables` wants an index-compatible record.
export type AssistantDatabase = {
  assistant_units: AssistantUnitsTable;
  assistant_answers: AssistantAnswersTable;
};

/** One known fix with its vector. Re-embedded when the text, the model or the prefixes change. */
export interface AssistantUnitsTable {
  /** `path` or `path#section`. */
  id: string;
  path: string;
  /** JSON of the KnowledgeUnit: what answers show, without reading the source again. */
  unit: string;
  /** sha256 of exactly what was embedded (prefix included). */
  text_hash: string;
  embed_model: string;
  dimensions: number;
  /** Float32 little-endian, `dimensions` × 4 bytes. */
  vector: Uint8Array;
  embedded_at: number;
}

export type AnswerFeedback = 'helpful' | 'not-helpful';

/** Every answer sent, with its scores (for calibration) and the technician's feedback. */
export interface AssistantAnswersTable {
  id: Generated<number>;
  /** The caller's idempotency key (a job's, a report's): one answer per key. */
  key: string;
  question: string;
  kind: string;
  top_unit_id: string | null;
  top_score: number | null;
  second_score: number | null;
  text: string;
  created_at: number;
  feedback: AnswerFeedback | null;
  feedback_at: number | null;
}
