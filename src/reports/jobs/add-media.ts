import { enqueue } from '../../queue/enqueue.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { type PlannedFile, planPhotos } from '../archive-plan.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobs } from '../report-jobs.ts';
import { reportKind } from '../report-facts.ts';
import { takenNamesIn } from '../folder-names.ts';
import { lateItemsNote } from '../report-messages.ts';
import { changeArchivePlan, getReport, reportMedia } from '../report-store.ts';
import { enqueueLatePhotos } from './late-photos.ts';

/**
 * `report.add-media`: photos of an album that arrived after its report was made join it: filed in
 * the same folder after what it holds, one short note to the technician; the office's group
 * message and card are brought up to date once they are filed (./late-photos.ts).
 */
export function addMediaHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.add-media'>> {
  return async (payload, { now }) => {
    const { reportId, messageIds } = payload;
    const report = await getReport(deps.db, reportId);
    if (!report) return;
    const joining = reportMedia(report).filter((m) => messageIds.includes(m.messageId));
    // Recorded with the plan, which this job waited on (none: see below).
    const folder = deps.archive ? report.folder : null;
    const listed = folder === null ? [] : await listedFolder(deps, folder);
    await deps.db.transaction().execute(async (trx) => {
      // Runs after the report's plan (enqueued to wait on it): no plan now means the plan failed
      // for good, and the office was told the archive failed; the technician still hears of his
      // photos. The plan is changed as it is now: its uploads update it meanwhile.
      let added = joining;
      let files: PlannedFile[] = [];
      if (folder !== null) {
        // After what the folder holds and what every report, this one too, planned there.
        const taken = await takenNamesIn(trx, folder, listed);
        await changeArchivePlan(trx, reportId, now, (plan) => {
          added = joining.filter((m) => !plan.files.some((f) => f.messageId === m.messageId));
          files = planPhotos(reportKind(report), added, taken, deps.config.reportTimezone);
          return { ...plan, files: [...plan.files, ...files] };
        });
        for (const file of files) {
          await enqueue(
            trx,
            reportJobs['report.archive-photo'],
            {
              idempotencyKey: `report:${reportId}:photo:${file.messageId}`,
              payload: { reportId, messageId: file.messageId },
            },
            now,
          );
        }
      }
      if (added.length > 0) {
        const joined = added.map((m) => m.messageId);
        await enqueueLatePhotos(trx, reportId, joined, now);
      }
      if (!deps.telegram.has(report.slug)) return;
      await enqueue(
        trx,
        telegramJobs['telegram.send-message'],
        {
          idempotencyKey: `report:${reportId}:added:${messageIds.join(',')}`,
          payload: {
            slug: report.slug,
            chatId: report.chat_id,
            text: lateItemsNote(report.public_id, messageIds.length),
          },
        },
        now,
      );
    });
  };
}

/**
 * The names in the report's folder, read before the transaction (no transaction waits on the
 * network). None while Nextcloud refuses the service's password (nothing reaches it then): the
 * technician still hears of his photos now, numbered after what the reports planned there, and
 * an upload that finds its name taken after the resume takes the next free one (archive-photo.ts).
 */
async function listedFolder(deps: ReportDeps, folder: string): Promise<string[]> {
  if (!deps.archive || (await deps.nextcloudOnHold?.())) return [];
  return ((await deps.archive.listFolder(folder)) ?? []).map((entry) => entry.name);
}
