import { enqueue } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobKey } from '../report-jobs.ts';
import { delayNotice } from '../report-messages.ts';
import { getReport } from '../report-store.ts';

/** After this long still retrying, the technician is told honestly that archiving goes on. */
export const DELAY_NOTICE_AFTER_MS = 60_000;

/** `report.delay-notice`: a minute after the report came, if it is still not confirmed, says so. */
export function delayNoticeHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.delay-notice'>> {
  return async ({ reportId }, { now }) => {
    const report = await getReport(deps.db, reportId);
    if (report?.status !== 'received' || report.delay_notified_at !== null) return;
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('reports')
        .set({ delay_notified_at: now.getTime() })
        .where('id', '=', report.id)
        .execute();
      if (!deps.telegram.has(report.slug)) return;
      await enqueue(
        trx,
        telegramJobs['telegram.send-message'],
        {
          idempotencyKey: reportJobKey(report.id, 'delay'),
          payload: { slug: report.slug, chatId: report.chat_id, text: delayNotice(report.public_id) },
        },
        now,
      );
    });
  };
}
