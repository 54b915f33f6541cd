import { assistantJobs } from '../assistant/assistant-job-kinds.ts';
import type { PayloadOf } from '../queue/job-kind.ts';
import { telegramJobs } from '../telegram/telegram-jobs.ts';
import { conversationJobs } from './conversation-jobs.ts';

/** The job kinds a conversation step may ask for; the dispatcher enqueues them by name. */
export const effectJobs = {
  'telegram.answer-callback': telegramJobs['telegram.answer-callback'],
  'telegram.edit-reply-markup': telegramJobs['telegram.edit-reply-markup'],
  'conversation.album-close': conversationJobs['conversation.album-close'],
  'assistant.answer-question': assistantJobs['assistant.answer-question'],
};

export type EffectJobType = keyof typeof effectJobs;
export type EffectJobPayload<T extends EffectJobType> = PayloadOf<(typeof effectJobs)[T]>;
