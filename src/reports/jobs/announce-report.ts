import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { enqueue, waitAlsoFor } from '../../queue/enqueue.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import { archivePlanOf, factsOf, problemsOf, reportKind } from '../report-facts.ts';
import type { ReportDeps } from '../report-deps.ts';
import { reportConfirmedKey, reportJobKey, reportJobs } from '../report-jobs.ts';
import { archiveOnHold, groupMessage } from '../report-messages.ts';
import { type ReportRow, reportMedia } from '../report-store.ts';

const GROUP_KEYS = { fin: 'chantier', sav: 'sav', materiel: 'magasin' } as const;

/**
 * Tells the office group about a report, once, and enqueues the technician's confirmation to run
 * after that message ended (sent or refused), so it can say whether the office heard. `failed`
 * are the lines of what did not work; 'on-hold': Nextcloud refuses the service's password, the
 * archive waits, and the report is announced now rather than when the office fixes it. `report`
 * must be the row as locked by the caller's transaction (lockReport, src/reports/report-store.ts):
 * its status and problems are written from it.
 */
export async function announceReport(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  failed: readonly string[],
  now: Date,
  archive: 'ended' | 'on-hold',
): Promise<void> {
  const onHold = archive === 'on-hold';
  const problems = [...problemsOf(report), ...failed, ...(onHold ? [archiveOnHold] : [])];
  const group = officeGroupOf(deps, report);
  const groupKey = reportJobKey(report.id, 'group');
  if (deps.telegram.has(report.slug) && group !== undefined) {
    await enqueueGroupMessage(trx, report, group, groupKey, groupText(report, problems, onHold), now);
  }
  const confirmKey = reportJobKey(report.id, 'confirm');
  await enqueue(
    trx,
    reportJobs['report.confirm'],
    { idempotencyKey: confirmKey, payload: { reportId: report.id }, after: [groupKey] },
    now,
  );
  await waitAlsoFor(trx, reportConfirmedKey(report.id), [confirmKey]);
  await trx
    .updateTable('reports')
    .set({
      // On hold is not done yet: the report ends when its archive does (report.notify).
      status: failed.length > 0 || onHold ? 'failed' : 'done',
      confirmed_at: now.getTime(),
      problems: JSON.stringify(problems),
      updated_at: now.getTime(),
    })
    .where('id', '=', report.id)
    .execute();
}

/** The office group told about this kind of report, if the bot has one configured. */
export function officeGroupOf(deps: ReportDeps, report: ReportRow): number | undefined {
  return deps.config.bots.find((b) => b.slug === report.slug)?.groups[GROUP_KEYS[reportKind(report)]];
}

/** The group's text: the report, then the same ⚠️ lines as the technician's confirmation. */
function groupText(report: ReportRow, problems: readonly string[], onHold: boolean): string {
  const plan = archivePlanOf(report);
  const stored =
    plan && !onHold ? plan.files.filter((file) => file.stored).length : reportMedia(report).length;
  // On hold, the problem line says where the photos stand: no folder beside it.
  const facts = onHold ? { ...factsOf(report, stored), folder: undefined } : factsOf(report, stored);
  return [groupMessage(facts), ...problems.map((line) => `⚠️ ${line}`)].join('\n');
}

async function enqueueGroupMessage(
  trx: Transaction<Database>,
  report: ReportRow,
  chatId: number,
  idempotencyKey: string,
  text: string,
  now: Date,
) {
  const target = { slug: report.slug, chatId };
  // The SAV's photos and documents travel with its message, each as what it is (a picture sent
  // "as a file" stays a document); videos stay in the folder it links to.
  const media = reportKind(report) === 'sav' ? reportMedia(report) : [];
  const idsOf = (source: string) => media.filter((m) => m.source === source).map((m) => m.fileId);
  const [fileIds, documentIds] = [idsOf('photo'), idsOf('document')];
  if (fileIds.length + documentIds.length > 0) {
    await enqueue(
      trx,
      telegramJobs['telegram.send-photos'],
      { idempotencyKey, payload: { ...target, fileIds, documentIds, caption: text } },
      now,
    );
    return;
  }
  await enqueue(
    trx,
    telegramJobs['telegram.send-message'],
    { idempotencyKey, payload: { ...target, text } },
    now,
  );
}
