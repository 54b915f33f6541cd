import Type from 'typebox';
import { defineJobs } from '../queue/job-kind.ts';
import { ChatId, Slug } from '../telegram/telegram-jobs.ts';

/** The SAV assistant's jobs (handlers in ./assistant-jobs.ts). */
export const assistantJobs = defineJobs({
  'assistant.answer-report': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 10,
    maxAttempts: 6,
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
