import { menuKeyboard } from '../../conversation/texts.ts';
import { enqueue, waitAlsoFor } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { cancelPendingJob } from '../../queue/job-store.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import { factsOf, filedPhotoCount, problemsOf } from '../report-facts.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportConfirmedKey, reportJobKey } from '../report-jobs.ts';
import { archiveOnHold, confirmation } from '../report-messages.ts';
import { getReport } from '../report-store.ts';

/**
 * `report.confirm`: the technician's confirmation, once the group message it waited on ended. It
 * says "prévenu" only when Telegram took that message (a refused one, e.g. a file of the wrong
 * type, is said instead); no message to wait on means no group is configured.
 */
export function confirmReportHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.confirm'>> {
  return async ({ reportId }, ctx) => {
    const { now } = ctx;
    const report = await getReport(deps.db, reportId);
    if (!report || !deps.telegram.has(report.slug)) return;
    const [group] = await ctx.dependencies();
    const told = group === undefined ? 'no-group' : group.state === 'done' ? 'yes' : 'failed';
    const problems = problemsOf(report);
    const onHold = problems.includes(archiveOnHold);
    // On hold, the problem line says where the photos stand: no photo line beside it.
    const facts = onHold
      ? { ...factsOf(report, 0), folder: undefined }
      : factsOf(report, filedPhotoCount(report));
    const text = confirmation({ ...facts, groupNotified: told, problems });
    const confirmationKey = reportJobKey(report.id, 'confirmation');
    await deps.db.transaction().execute(async (trx) => {
      await enqueue(
        trx,
        telegramJobs['telegram.send-message'],
        {
          idempotencyKey: confirmationKey,
          payload: {
            slug: report.slug,
            chatId: report.chat_id,
            text,
            keyboard: menuKeyboard.map((row) => [...row]),
          },
        },
        now,
      );
      await waitAlsoFor(trx, reportConfirmedKey(report.id), [confirmationKey]);
      // Confirmed now: the reminder that archiving goes on is no longer needed.
      await cancelPendingJob(trx, reportJobKey(report.id, 'delay-notice'), now);
    });
  };
}
