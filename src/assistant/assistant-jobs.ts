import { feedbackData } from '../conversation/transition.ts';
import { enqueue } from '../queue/enqueue.ts';
import type { JobPayload } from '../queue/job-catalog.ts';
import type { JobHandler } from '../queue/worker.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { getReport } from '../reports/report-store.ts';
import { recordAnswer } from './answer-log.ts';
import type { createSavAssistant } from './sav-assistant.ts';

export type SavAssistant = ReturnType<typeof createSavAssistant>;

export interface AssistantJobDeps {
  readonly db: Db;
  readonly assistant: SavAssistant;
  /** Whether this slug can call the Bot API. */
  readonly hasBotApi: (slug: string) => boolean;
}

/**
 * The assistant's jobs. They run after the report's own work and never block it: a broken or
 * missing Ollama only delays or drops these answers (retried, then dead and visible).
 */
export function assistantHandlers(deps: AssistantJobDeps): Record<string, JobHandler> {
  return {
    'assistant.sync': async () => {
      await deps.assistant.sync();
    },
    'assistant.answer-report': async (payload, { now }) => {
      const { reportId } = payload as JobPayload<'assistant.answer-report'>;
      const report = await getReport(deps.db, reportId);
      if (!report?.text) return;
      const answer = await deps.assistant.answer(report.text);
      await deps.db.transaction().execute(async (trx) => {
        const answerId = await recordAnswer<Database>(trx, `report:${reportId}`, report.text, answer, now);
        if (!deps.hasBotApi(report.slug)) return;
        await enqueue(
          trx,
          {
            type: 'telegram.send-message',
            idempotencyKey: `report:${reportId}:assistant-answer`,
            // The consignation line stays first: the report id goes at the end.
            payload: {
              slug: report.slug,
              chatId: report.chat_id,
              text: `${answer.text}\n\n🎫 ${report.public_id}`,
              keyboard: feedbackKeyboard(answerId),
            },
          },
          now,
        );
      });
    },
  };
}

/** 👍 / 👎 under an answer: stored with it, they feed the calibration set. */
function feedbackKeyboard(answerId: number) {
  return [
    [
      { text: '👍 Utile', callback_data: feedbackData(answerId, true) },
      { text: '👎 Pas utile', callback_data: feedbackData(answerId, false) },
    ],
  ];
}
