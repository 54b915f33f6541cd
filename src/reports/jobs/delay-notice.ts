import { enqueue } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobKey } from '../report-jobs.ts';
import { delayNotice } from '../report-messages.ts';

/** After this long still retrying, the technician is told honestly that archiving goes on. */
export const DELAY_NOTICE_AFTER_MS = 60_000;

/** `report.delay-notice`: a minute after the report came, if it is still not confirmed, says so. */
export function delayNoticeHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.delay-notice'>> {
  return async ({ reportId }, { now }) => {
    await deps.db.transaction().execute(async (trx) => {
      // Checked and marked in one statement: report.notify may announce the report meanwhile in
      // another worker. On PostgreSQL an UPDATE that waited for that writer's row checks its WHERE
      // again on the row as committed
      // (https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED), so a report
      // announced done is not told "je te confirme dès que c'est fait" afterwards.
      const report = await trx
        .updateTable('reports')
        .set({ delay_notified_at: now.getTime() })
        .where('id', '=', reportId)
        .where('status', '=', 'received')
        .where('delay_notified_at', 'is', null)
        .returning(['id', 'slug', 'chat_id', 'public_id'])
        .executeTakeFirst();
      if (!report || !deps.telegram.has(report.slug)) return;
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
