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
import { DELAY_NOTICE_AFTER_MS } from './delay-notice.ts';
import { holdReport } from './notify-report.ts';
import { enqueueSavLeads, enqueueSavLeadsComment } from './sav-leads.ts';

/**
 * `report.process`: decides where the report's files go (reusing the client's folder, numbering
 * after what it holds), records that plan once, creates the folder, and enqueues the work: one
 * upload per photo, the Markdown file, the Deck card, and makes the report's notification wait for them.
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
    const plan =
      archivePlanOf(report) ?? (deps.archive ? await makePlan(deps.archive, report, deps, now) : undefined);
    if (plan && deps.archive) await deps.archive.ensureFolder(plan.folder);
    await deps.db.transaction().execute(async (trx) => {
      if (plan && !report.archive_plan) await recordPlan(trx, report.id, plan, now);
      await enqueueWork(trx, report, plan, deps, now);
    });
  };
}

async function makePlan(
  archive: ArchivePort,
  report: ReportRow,
  deps: ReportDeps,
  now: Date,
): Promise<ArchivePlan> {
  const kind = reportKind(report);
  const media = reportMedia(report);
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
    media,
    date: Math.floor(reportDate(report).getTime() / 1000),
    timeZone: deps.config.reportTimezone,
    existingFolders,
  };
  const folder = planFolder(input);
  const existingFiles = ((await archive.listFolder(folder)) ?? []).map((entry) => entry.name);
  return planArchive(input, folder, existingFiles);
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
  const work: string[] = [];
  if (plan) {
    for (const file of plan.files) {
      const idempotencyKey = job(`photo:${file.messageId}`);
      work.push(idempotencyKey);
      await enqueue(
        trx,
        reportJobs['report.archive-photo'],
        { idempotencyKey, payload: { reportId, messageId: file.messageId } },
        now,
      );
    }
    if (plan.markdown) {
      work.push(job('markdown'));
      await enqueue(
        trx,
        reportJobs['report.write-markdown'],
        { idempotencyKey: job('markdown'), payload: { reportId } },
        now,
      );
    }
  }
  if (deps.cards) {
    work.push(job('deck'));
    await enqueue(
      trx,
      reportJobs['report.deck-card'],
      { idempotencyKey: job('deck'), payload: { reportId } },
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
