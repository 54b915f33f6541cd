import { assistantJobs } from './assistant/assistant-job-kinds.ts';
import { conversationJobs } from './conversation/conversation-jobs.ts';
import { reportJobs } from './reports/report-jobs.ts';
import { telegramJobs } from './telegram/telegram-jobs.ts';

/** Every job kind of the service, by type (metrics show each, even at zero). */
export const allJobKinds = { ...telegramJobs, ...conversationJobs, ...reportJobs, ...assistantJobs };

export const allJobTypes: readonly string[] = Object.keys(allJobKinds);
