import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { cardStackTitle, withPhotoCount } from '../../nextcloud/report-card.ts';
import { enqueue, waitAlsoFor } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { jobKeysStartingWith } from '../../queue/job-store.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobKey, reportJobs } from '../report-jobs.ts';
import { archivePlanOf, reportKind } from '../report-facts.ts';
import { latePhotosLine, latePhotosLost, lostPhotosAdvice } from '../report-messages.ts';
import { getReport, type ReportRow, reportMedia } from '../report-store.ts';
import { officeGroupOf } from './announce-report.ts';

/**
 * Enqueued with the photos that joined a report after it was made (src/reports/jobs/add-media.ts),
 * to run once they are filed and the report's own notification and card are done: what the
 * office reads then matches what is archived.
 */
export async function enqueueLatePhotos(
  trx: Transaction<Database>,
  reportId: number,
  messageIds: readonly number[],
  now: Date,
): Promise<void> {
  const job = (step: string) => reportJobKey(reportId, step);
  const photos = messageIds.map((id) => job(`photo:${id}`));
  // The report not announced yet: its announcement waits for these photos and counts them. Too
  // late (it runs or ran): its text does not count them, which a line will say once they are in.
  const groupTold = !(await waitAlsoFor(trx, job('notify'), photos));
  // The card and the Markdown file count the photos filed: if they still wait for the report's
  // uploads, these too. Too late: the card's count is set below; the Markdown file stays as is.
  await waitAlsoFor(trx, job('deck'), photos);
  await waitAlsoFor(trx, job('markdown'), photos);
  await enqueue(
    trx,
    reportJobs['report.late-photos'],
    {
      idempotencyKey: job(`late:${messageIds.join(',')}`),
      payload: { reportId, messageIds: [...messageIds], groupTold },
      // After the joins before it too: each line counts what the one before did, and more.
      after: [
        ...photos,
        job('notify'),
        job('group'),
        job('deck'),
        ...(await jobKeysStartingWith(trx, job('late:'))),
      ],
    },
    now,
  );
}

/**
 * `report.late-photos`: the office group gets one short line per late join — a message edit
 * would go unnoticed (Telegram does not notify edits) and the office may already have acted on
 * the first count — and the Deck card's photo count is set to what is archived now.
 */
export function latePhotosHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.late-photos'>> {
  return async ({ reportId, messageIds, groupTold }, { now }) => {
    const report = await getReport(deps.db, reportId);
    if (!report) return;
    const counts = countsOf(report, messageIds);
    if (groupTold) {
      await deps.db.transaction().execute(async (trx) => {
        await tellGroup(trx, deps, report, messageIds, counts, now);
        await tellTechnicianOfLost(trx, deps, report, messageIds, counts.lost, now);
      });
    }
    // Setting a count is idempotent: a retry after a crash writes the same description.
    if (deps.cards && report.deck_card_id !== null) {
      await deps.cards.reviseCard({
        stackTitle: cardStackTitle(reportKind(report)),
        marker: report.public_id,
        revise: (description) => withPhotoCount(description, counts.total),
      });
    }
  };
}

interface LateCounts {
  /** Photos of this join that were filed. */
  readonly added: number;
  /** Photos of this join that could not be filed (their job failed for good or they were refused). */
  readonly lost: number;
  /** All the report's photos filed now (received, when the archive is off). */
  readonly total: number;
}

function countsOf(report: ReportRow, messageIds: readonly number[]): LateCounts {
  const plan = archivePlanOf(report);
  if (!plan) return { added: messageIds.length, lost: 0, total: reportMedia(report).length };
  const joined = plan.files.filter((file) => messageIds.includes(file.messageId));
  const added = joined.filter((file) => file.stored).length;
  return {
    added,
    lost: joined.length - added,
    total: plan.files.filter((file) => file.stored).length,
  };
}

async function tellGroup(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  messageIds: readonly number[],
  counts: LateCounts,
  now: Date,
) {
  const group = officeGroupOf(deps, report);
  if (group === undefined || !deps.telegram.has(report.slug)) return;
  const facts = { publicId: report.public_id, folder: report.folder ?? undefined };
  const lines = [
    ...(counts.added > 0 ? [latePhotosLine(facts, counts.added, counts.total)] : []),
    ...(counts.lost > 0 ? [latePhotosLost(report.public_id, counts.lost)] : []),
  ];
  await enqueue(
    trx,
    telegramJobs['telegram.send-message'],
    {
      idempotencyKey: reportJobKey(report.id, `late-group:${messageIds.join(',')}`),
      payload: { slug: report.slug, chatId: group, text: lines.join('\n') },
      // In the order the office must read them: the announcement, then each join's line.
      after: [
        reportJobKey(report.id, 'group'),
        ...(await jobKeysStartingWith(trx, reportJobKey(report.id, 'late-group:'))),
      ],
    },
    now,
  );
}

async function tellTechnicianOfLost(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  messageIds: readonly number[],
  lost: number,
  now: Date,
) {
  if (lost === 0 || !deps.telegram.has(report.slug)) return;
  await enqueue(
    trx,
    telegramJobs['telegram.send-message'],
    {
      idempotencyKey: `report:${report.id}:late-lost:${messageIds.join(',')}`,
      payload: {
        slug: report.slug,
        chatId: report.chat_id,
        text: `${latePhotosLost(report.public_id, lost)} ${lostPhotosAdvice(lost)}`,
      },
    },
    now,
  );
}
