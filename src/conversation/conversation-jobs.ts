import Type from 'typebox';
import { defineJobs } from '../queue/job-kind.ts';
import { ChatId, Slug } from '../telegram/telegram-jobs.ts';

/** Jobs that move a conversation on without a new update (handled in src/dispatch/album-close-job.ts). */
export const conversationJobs = defineJobs({
  'conversation.album-close': {
    schema: Type.Object({ slug: Slug, chatId: ChatId, userId: Type.Integer(), mediaGroupId: Type.String() }),
    priority: 70,
    maxAttempts: 20,
  },
});
