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
    // Backoff from 2 s doubling (src/queue/backoff.ts): the 7 waits add up to 2 to 4 minutes, what
    // an Ollama restart takes with its model loaded again; 4 attempts gave up within ~15 s.
    maxAttempts: 8,
  },
  /**
   * Waits on one answer's job (`after`), enqueued by that job's first run: when the job died, the
   * technician is told the assistant did not answer, under the answer's own message key.
   */
  'assistant.unanswered': {
    schema: Type.Union([
      Type.Object({ reportId: Type.Integer() }),
      Type.Object({ slug: Slug, chatId: ChatId, key: Type.String() }),
    ]),
    priority: 40,
    maxAttempts: 8,
  },
  'assistant.deck-comment': {
    schema: Type.Object({
      reportId: Type.Integer(),
      /**
       * False when the technician did not get these leads: he was told the assistant did not
       * answer, and an admin retry brought them later. Absent: he got them.
       */
      answerSent: Type.Optional(Type.Boolean()),
    }),
    priority: 5,
    maxAttempts: 8,
  },
  'assistant.sync': {
    schema: Type.Object({}),
    priority: 5,
    maxAttempts: 5,
  },
});

/** The assistant's jobs that ask Ollama: their outcomes say whether the assistant works. */
export const OLLAMA_JOB_TYPES: ReadonlySet<string> = new Set([
  'assistant.answer-report',
  'assistant.answer-question',
  'assistant.sync',
]);
