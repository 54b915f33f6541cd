import type { Kysely } from 'kysely';
import type { AnswerFeedback, AssistantDatabase } from './assistant-schema.ts';
import { assistantView } from './knowledge-store.ts';
import type { AssistantAnswer } from './sav-assistant.ts';

/**
 * Answers sent and what technicians thought of them: the scores feed calibration, the feedback
 * says which notes need work. Keyed by the caller's idempotency key, so a retried job that
 * answers again does not log twice.
 */

/** Records the answer once per key; returns its id (the first one's, on a repeat). */
export async function recordAnswer<DB extends AssistantDatabase>(
  appDb: Kysely<DB>,
  key: string,
  question: string,
  answer: AssistantAnswer,
  now: Date,
): Promise<number> {
  const db = assistantView(appDb);
  await db
    .insertInto('assistant_answers')
    .values({
      key,
      question,
      kind: answer.kind,
      top_unit_id: answer.sources[0]?.unitId ?? null,
      top_score: answer.scores.top ?? null,
      second_score: answer.scores.second ?? null,
      text: answer.text,
      created_at: now.getTime(),
      feedback: null,
      feedback_at: null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('assistant_answers')
    .select('id')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Stores the latest feedback on an answer; false when there is no such answer. */
export async function recordFeedback<DB extends AssistantDatabase>(
  appDb: Kysely<DB>,
  answerId: number,
  feedback: AnswerFeedback,
  now: Date,
): Promise<boolean> {
  const result = await assistantView(appDb)
    .updateTable('assistant_answers')
    .set({ feedback, feedback_at: now.getTime() })
    .where('id', '=', answerId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
