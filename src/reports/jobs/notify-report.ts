import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { MANAGE_RIGHT_MISSING } from '../../nextcloud/deck-errors.ts';
import { enqueue, stopWaitingFor } from '../../queue/enqueue.ts';
import type { DependencyOutcome, JobHandler } from '../../queue/job-handler.ts';
import { jobKeysStartingWith } from '../../queue/job-store.ts';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import { archivePlanOf, problemsOf } from '../report-facts.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportConfirmedKey, reportJobKey, reportJobs } from '../report-jobs.ts';
import { archiveOnHold, heldArchiveEnded } from '../report-messages.ts';
import { lockReport, type ReportRow } from '../report-store.ts';
import { announceReport, officeGroupOf } from './announce-report.ts';
import { enqueueSavLeads } from './sav-leads.ts';

/**
 * `report.notify`: runs once the report's plan, uploads, Markdown file and card have all ended,
 * done or dead (it waits on them: enqueued with the report after its plan, which adds the work it
 * enqueues), and announces the report to the office with what did not work. Enqueued with the
 * report itself, so a plan that fails for good is announced too (the card is then made from the
 * report alone). A report already announced on hold only gets the end of its archive said.
 */
export function notifyReportHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.notify'>> {
  return async ({ reportId }, ctx) => {
    const { now } = ctx;
    const ended = await ctx.dependencies();
    if (ended.length === 0 && ctx.job.idempotency_key === reportJobKey(reportId, 'notify')) {
      return waitLikeNow(deps, reportId, now);
    }
    const dead = ended.filter((job) => job.state === 'dead');
    const failed = failures(dead);
    await deps.db.transaction().execute(async (trx) => {
      // Decided on the report as it is now, locked: report.announce-on-hold may run meanwhile in
      // another worker, and a copy read before it ended would either leave the report on hold
      // for good or never tell the office and the technician that its hold ended.
      const report = await lockReport(trx, reportId);
      if (!report) return;
      // No plan, so no card job either: the card is made from the report alone.
      if (dead.some((job) => job.type === 'report.process')) await enqueueCard(trx, deps, report.id, now);
      if (report.status === 'received') await announceReport(trx, deps, report, failed, now, 'ended');
      else if (problemsOf(report).includes(archiveOnHold)) await endHold(trx, deps, report, failed, now);
    });
  };
}

/**
 * A notify queued by a version before job dependencies waits on nothing (one queued now waits at
 * least on its plan): it would announce the report before its photos are filed. It hands over to
 * one that waits on the report's work, as one queued now does.
 */
async function waitLikeNow(deps: ReportDeps, reportId: number, now: Date): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const keys = await jobKeysStartingWith(trx, reportJobKey(reportId, ''));
    const step = (key: string) => key.slice(reportJobKey(reportId, '').length);
    const work = keys.filter((key) => /^(process|markdown|deck|photo:\d+)$/u.test(step(key)));
    await enqueue(
      trx,
      reportJobs['report.notify'],
      { idempotencyKey: reportJobKey(reportId, 'notify-after-upgrade'), payload: { reportId }, after: work },
      now,
    );
  });
}

/**
 * `report.announce-on-hold`: Nextcloud refuses the service's password, so the report's archive
 * waits for the office: the report is announced now, the archive said on hold (once; the report
 * may have been announced meanwhile).
 */
export function announceOnHoldHandler(
  deps: ReportDeps,
): JobHandler<ReportPayload<'report.announce-on-hold'>> {
  return async ({ reportId }, { now }) => {
    await deps.db.transaction().execute(async (trx) => {
      // Locked, as in report.notify: announced meanwhile (its archive ended), it is not on hold.
      const report = await lockReport(trx, reportId);
      if (report?.status !== 'received') return;
      await announceReport(trx, deps, report, [], now, 'on-hold');
      // Confirmed without the notification, which waits for the archive: what waits for the
      // confirmation (the SAV leads) may follow it now.
      await stopWaitingFor(trx, reportConfirmedKey(reportId), [reportJobKey(reportId, 'notify')]);
      await enqueueSavLeads(trx, deps, report, now);
    });
  };
}

/** Enqueues the on-hold announcement of a report, once (the breaker opened, or was open). */
export async function holdReport(trx: Transaction<Database>, reportId: number, now: Date): Promise<void> {
  await enqueue(
    trx,
    reportJobs['report.announce-on-hold'],
    { idempotencyKey: reportJobKey(reportId, 'on-hold'), payload: { reportId } },
    now,
  );
}

/**
 * A report announced on hold whose archive has now ended: its status says how, and the office
 * and the technician, who were told it waits, read one line each on how it ended. `report` is
 * the row as locked by the caller's transaction (lockReport).
 */
async function endHold(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  failed: readonly string[],
  now: Date,
) {
  const problems = [...problemsOf(report).filter((line) => line !== archiveOnHold), ...failed];
  await trx
    .updateTable('reports')
    .set({
      status: failed.length > 0 ? 'failed' : 'done',
      problems: JSON.stringify(problems),
      updated_at: now.getTime(),
    })
    .where('id', '=', report.id)
    .execute();
  if (!deps.telegram.has(report.slug)) return;
  const plan = archivePlanOf(report);
  const stored = plan?.files.filter((file) => file.stored).length ?? 0;
  const text = heldArchiveEnded(report.public_id, plan?.folder, stored, failed);
  const group = officeGroupOf(deps, report);
  const chats = group === undefined ? [report.chat_id] : [report.chat_id, group];
  for (const [index, chatId] of chats.entries()) {
    await enqueue(
      trx,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: reportJobKey(report.id, `hold-ended:${index}`),
        payload: { slug: report.slug, chatId, text },
      },
      now,
    );
  }
}

/** The lines of what the dead jobs of a report did not do (the card says those of its uploads). */
export function failures(dead: readonly DependencyOutcome[]): string[] {
  const problems: string[] = [];
  const types = dead.map((job) => job.type);
  if (types.includes('report.process')) problems.push('Archivage Nextcloud échoué : le bureau est prévenu.');
  const photos = types.filter((type) => type === 'report.archive-photo').length;
  if (photos > 0)
    problems.push(`Archivage Nextcloud échoué pour ${photos} photo(s) : le bureau est prévenu.`);
  if (types.includes('report.write-markdown'))
    problems.push('Le compte rendu Markdown n’a pas pu être écrit.');
  const deck = dead.find((job) => job.type === 'report.deck-card');
  if (deck) problems.push(deckProblem(deck.lastError ?? ''));
  return problems;
}

/** The Deck line; when the board lacks the "manage" right, exactly that and what to do. */
function deckProblem(deckError: string): string {
  if (!deckError.includes(MANAGE_RIGHT_MISSING)) return 'La carte Deck n’a pas pu être créée.';
  return 'La carte Deck n’a pas pu être créée : le tableau est partagé avec le service sans le droit « gérer », qui permet d’ajouter une colonne. Le bureau doit créer la colonne à la main ou donner ce droit au service.';
}

async function enqueueCard(trx: Transaction<Database>, deps: ReportDeps, reportId: number, now: Date) {
  if (!deps.cards) return;
  await enqueue(
    trx,
    reportJobs['report.deck-card'],
    { idempotencyKey: reportJobKey(reportId, 'deck'), payload: { reportId } },
    now,
  );
}
