import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { clientFoldersParent } from '../../nextcloud/report-paths.ts';
import { enqueue, waitAlsoFor } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { chantierOfFolder, rememberChantiers } from '../../dispatch/known-chantiers.ts';
import { type ArchivePlan, planArchive, planFolder } from '../archive-plan.ts';
import type { ArchivePort, ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobKey, reportJobs } from '../report-jobs.ts';
import { archivePlanOf, reportDate, reportKind } from '../report-facts.ts';
import { getReport, type ReportRow, reportMedia } from '../report-store.ts';
import { choosingFolder, takenNamesIn } from '../folder-names.ts';
import { DELAY_NOTICE_AFTER_MS } from './delay-notice.ts';
import { holdReport } from './notify-report.ts';
import { enqueueSavLeads, enqueueSavLeadsComment } from './sav-leads.ts';

/**
 * `report.process`: decides where the report's files go (reusing the client's folder, numbering
 * after what it holds and what other reports planned there), creates the folder, records that
 * plan once, and enqueues the work: one upload per photo, then the Markdown file and the Deck
 * card, which count the photos filed, and makes the report's notification wait for them all.
 * The folder is made here, once, before the uploads run in parallel: Nextcloud creates a PUT's
 * missing parents check-then-create, and parallel uploads into a new folder then fail.
 */
export function planReportHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.process'>> {
  return async (payload, { now }) => {
    const { reportId } = payload;
    const report = await getReport(deps.db, reportId);
    if (!report) return;
    // Nextcloud refuses our password: the plan waits for the office, the report is told now.
    if (await deps.nextcloudOnHold?.()) {
      await deps.db.transaction().execute((trx) => holdReport(trx, reportId, now));
    }
    // A retry after a crash reuses the recorded plan: the same photo keeps the same name.
    const recorded = archivePlanOf(report);
    if (recorded && deps.archive) await deps.archive.ensureFolder(recorded.folder);
    const plan = recorded ?? (deps.archive ? await makePlan(deps.archive, report, deps, now) : undefined);
    await deps.db.transaction().execute((trx) => enqueueWork(trx, report, plan, deps, now));
  };
}

/**
 * Chooses the folder and makes it before the next report of this kind lists the folders
 * (choosingFolder), then names the photos after what the folder holds and what other reports
 * planned there (takenNamesIn) and records the plan, in one transaction. A crash after the
 * folder was made: the retry lists it and reuses it.
 */
async function makePlan(
  archive: ArchivePort,
  report: ReportRow,
  deps: ReportDeps,
  now: Date,
): Promise<ArchivePlan> {
  const kind = reportKind(report);
  return choosingFolder(deps.db, kind, async () => {
    const parent = clientFoldersParent(kind).path;
    const existingFolders = ((await archive.listFolder(parent)) ?? [])
      .filter((entry) => entry.type === 'directory')
      .map((entry) => entry.name);
    // Listed anyway: the conversation's cache of known chantiers learns the office's folders.
    await rememberChantiers(deps.db, existingFolders.map(chantierOfFolder), now);
    const input = {
      kind,
      publicId: report.public_id,
      chantier: report.chantier,
      media: reportMedia(report),
      date: Math.floor(reportDate(report).getTime() / 1000),
      timeZone: deps.config.reportTimezone,
      existingFolders,
    };
    const folder = planFolder(input);
    const listed = ((await archive.listFolder(folder)) ?? []).map((entry) => entry.name);
    await archive.ensureFolder(folder);
    return deps.db.transaction().execute(async (trx) => {
      const plan = planArchive(input, folder, await takenNamesIn(trx, folder, listed));
      await recordPlan(trx, report.id, plan, now);
      return plan;
    });
  });
}

async function recordPlan(trx: Transaction<Database>, reportId: number, plan: ArchivePlan, now: Date) {
  await trx
    .updateTable('reports')
    .set({ folder: plan.folder, archive_plan: JSON.stringify(plan), updated_at: now.getTime() })
    .where('id', '=', reportId)
    .execute();
}

async function enqueueWork(
  trx: Transaction<Database>,
  report: ReportRow,
  plan: ArchivePlan | undefined,
  deps: ReportDeps,
  now: Date,
) {
  const reportId = report.id;
  const job = (step: string) => reportJobKey(reportId, step);
  const photos = (plan?.files ?? []).map((file) => job(`photo:${file.messageId}`));
  const work = [...photos];
  for (const file of plan?.files ?? []) {
    await enqueue(
      trx,
      reportJobs['report.archive-photo'],
      { idempotencyKey: job(`photo:${file.messageId}`), payload: { reportId, messageId: file.messageId } },
      now,
    );
  }
  // The Markdown file and the card say how many photos were filed: they wait for the uploads.
  if (plan?.markdown) {
    work.push(job('markdown'));
    await enqueue(
      trx,
      reportJobs['report.write-markdown'],
      { idempotencyKey: job('markdown'), payload: { reportId }, after: photos },
      now,
    );
  }
  if (deps.cards) {
    work.push(job('deck'));
    await enqueue(
      trx,
      reportJobs['report.deck-card'],
      { idempotencyKey: job('deck'), payload: { reportId }, after: photos },
      now,
    );
  }
  // The report is announced once all of it has ended, done or dead.
  await waitAlsoFor(trx, job('notify'), work);
  // Says the archiving goes on if the report is still not confirmed a minute after it came.
  await enqueue(
    trx,
    reportJobs['report.delay-notice'],
    {
      idempotencyKey: job('delay-notice'),
      payload: { reportId },
      runAt: new Date(report.created_at + DELAY_NOTICE_AFTER_MS),
    },
    now,
  );
  await enqueueSavLeads(trx, deps, report, now);
  await enqueueSavLeadsComment(trx, deps, report, now);
}
