import Type from 'typebox';
import { defineJobs, type PayloadOf } from '../queue/job-kind.ts';
import { ChatId, Slug, telegramJobs } from '../telegram/telegram-jobs.ts';

/** The SAV assistant's jobs (handlers in ./assistant-jobs.ts). */
export type AssistantPayload<T extends keyof typeof assistantJobs> = PayloadOf<(typeof assistantJobs)[T]>;

export const assistantJobs = defineJobs({
  'assistant.answer-report': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 10,
    maxAttempts: 6,
  },
  /** A SAV report's leads, held until the report's confirmation has left (see ./assistant-jobs.ts). */
  'assistant.send-answer': {
    schema: Type.Object({
      reportId: Type.Integer(),
      message: telegramJobs['telegram.send-message'].schema,
      /** How many times it looked for the confirmation's next step (bounded by their number). */
      stage: Type.Integer({ minimum: 0 }),
    }),
    priority: 40,
    maxAttempts: 3,
  },
  'assistant.answer-question': {
    schema: Type.Object({
      slug: Slug,
      chatId: ChatId,
      question: Type.String({ minLength: 1, maxLength: 4096 }),
      /** The answer log's key: one answer per question message. */
      key: Type.String(),
      /** The known fix the technician picked among those the assistant offered (its note ref). */
      note: Type.Optional(Type.String({ pattern: '^[0-9a-f]{12}$' })),
    }),
    priority: 40,
    maxAttempts: 4,
  },
  'assistant.deck-comment': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 5,
    maxAttempts: 8,
  },
  'assistant.sync': {
    schema: Type.Object({}),
    priority: 5,
    maxAttempts: 5,
  },
});
