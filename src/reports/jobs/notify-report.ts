import type { Transaction } from 'kysely';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import { menuKeyboard } from '../../conversation/texts.ts';
import type { Database } from '../../db/schema.ts';
import { enqueue } from '../../queue/enqueue.ts';
import { cancelPendingJob } from '../../queue/job-store.ts';
import { PostponeError } from '../../queue/postpone.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobs } from '../report-jobs.ts';
import { archivePlanOf, factsOf, problemsOf, reportKind } from '../report-facts.ts';
import { MANAGE_RIGHT_MISSING } from '../../nextcloud/deck-errors.ts';
import { archiveOnHold, confirmation, delayNotice, groupMessage } from '../report-messages.ts';
import { getReport, type ReportRow, reportMedia } from '../report-store.ts';

/** After this long still retrying, the technician is told honestly that archiving goes on. */
export const DELAY_NOTICE_AFTER_MS = 60_000;
const RECHECK_MS = 3_000;
/** A group message leaves within a second or two: the confirmation follows it closely. */
const GROUP_RECHECK_MS = 1_000;
const WORK_TYPES = ['report.process', 'report.archive-photo', 'report.write-markdown', 'report.deck-card'];

/**
 * `report.notify`: once the report's plan, archive and card jobs have ended (done or dead), tells
 * the office group, then, once that message left, confirms to the technician; each once.
 * Enqueued with the report itself, so a plan that fails for good is announced too (and the card
 * is then made from the report alone). While they run it checks back every few seconds, and
 * says after a minute that it is retrying; while Nextcloud refuses the service's password (the
 * credentials breaker is open) it announces the report at once, the archive on hold.
 */
export function notifyReportHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.notify'>> {
  return async ({ reportId }, ctx) => {
    const { now } = ctx;
    const report = await getReport(deps.db, reportId);
    if (!report) return;
    if (report.status !== 'received') return confirmOnceGroupTold(deps, report, now);
    const work = await deps.db
      .selectFrom('jobs')
      .select(['type', 'state', 'last_error'])
      .where('idempotency_key', 'like', `report:${reportId}:%`)
      .where('type', 'in', WORK_TYPES)
      .execute();
    const waiting = work.some((job) => job.state === 'pending' || job.state === 'running');
    if (waiting && (await deps.nextcloudOnHold?.())) {
      await deps.db.transaction().execute(async (trx) => {
        await notify(trx, deps, report, [], now, 'on-hold');
      });
      throw new PostponeError(GROUP_RECHECK_MS, 'confirming once the group message is sent');
    }
    // The report.delay-notice job says after a minute that archiving goes on.
    if (waiting) throw new PostponeError(RECHECK_MS, 'report work still running');
    const deadJobs = work.filter((job) => job.state === 'dead');
    const dead = deadJobs.map((job) => job.type);
    const failed = failures(dead, deadJobs.find((job) => job.type === 'report.deck-card')?.last_error ?? '');
    await deps.db.transaction().execute(async (trx) => {
      // No plan, so no card job either: the card is made from the report alone.
      if (dead.includes('report.process')) await enqueueCard(trx, deps, report.id, now);
      await notify(trx, deps, report, failed, now, 'ended');
    });
    throw new PostponeError(GROUP_RECHECK_MS, 'confirming once the group message is sent');
  };
}

/**
 * The technician's confirmation, after the group message ended: it says "prévenu" only when
 * Telegram took that message (a refused one, e.g. a file of the wrong type, is said instead).
 */
async function confirmOnceGroupTold(deps: ReportDeps, report: ReportRow, now: Date): Promise<void> {
  if (!deps.telegram.has(report.slug)) return;
  const jobs = await deps.db
    .selectFrom('jobs')
    .select(['idempotency_key', 'state'])
    .where('idempotency_key', 'in', [groupKey(report.id), confirmationKey(report.id)])
    .execute();
  if (jobs.some((job) => job.idempotency_key === confirmationKey(report.id))) return;
  const group = jobs.find((job) => job.idempotency_key === groupKey(report.id));
  if (group?.state === 'pending' || group?.state === 'running') {
    throw new PostponeError(GROUP_RECHECK_MS, 'group message not sent yet');
  }
  const told = group === undefined ? 'no-group' : group.state === 'done' ? 'yes' : 'failed';
  const problems = problemsOf(report);
  const onHold = problems.includes(archiveOnHold);
  const plan = archivePlanOf(report);
  const stored = plan ? plan.files.filter((file) => file.stored).length : reportMedia(report).length;
  // On hold, the problem line says where the photos stand: no photo line beside it.
  const facts = onHold ? { ...factsOf(report, 0), folder: undefined } : factsOf(report, stored);
  const text = confirmation({ ...facts, groupNotified: told, problems });
  await deps.db.transaction().execute(async (trx) => {
    await enqueue(
      trx,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: confirmationKey(report.id),
        payload: {
          slug: report.slug,
          chatId: report.chat_id,
          text,
          keyboard: menuKeyboard.map((row) => [...row]),
        },
      },
      now,
    );
    // Confirmed now: the reminder that archiving goes on is no longer needed.
    await cancelPendingJob(trx, `report:${report.id}:delay-notice`, now);
  });
}

const groupKey = (reportId: number) => `report:${reportId}:group`;
const confirmationKey = (reportId: number) => `report:${reportId}:confirmation`;

function failures(deadTypes: string[], deckError: string): string[] {
  const problems: string[] = [];
  if (deadTypes.includes('report.process'))
    problems.push('Archivage Nextcloud échoué : le bureau est prévenu.');
  const photos = deadTypes.filter((type) => type === 'report.archive-photo').length;
  if (photos > 0)
    problems.push(`Archivage Nextcloud échoué pour ${photos} photo(s) : le bureau est prévenu.`);
  if (deadTypes.includes('report.write-markdown'))
    problems.push('Le compte rendu Markdown n’a pas pu être écrit.');
  if (deadTypes.includes('report.deck-card')) problems.push(deckProblem(deckError));
  return problems;
}

async function notify(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  failed: string[],
  now: Date,
  archive: 'ended' | 'on-hold',
) {
  const plan = archivePlanOf(report);
  const onHold = archive === 'on-hold';
  const photoCount =
    plan && !onHold ? plan.files.filter((file) => file.stored).length : reportMedia(report).length;
  const facts = onHold ? { ...factsOf(report, photoCount), folder: undefined } : factsOf(report, photoCount);
  const problems = [...problemsOf(report), ...failed, ...(onHold ? [archiveOnHold] : [])];
  const bot = deps.config.bots.find((b) => b.slug === report.slug);
  const group = bot?.groups[GROUP_KEYS[reportKind(report)]];
  const canSend = deps.telegram.has(report.slug);

  if (canSend && group !== undefined) {
    // The office reads the same ⚠️ lines as the technician: what was not archived, and why.
    const text = [groupMessage(facts), ...problems.map((line) => `⚠️ ${line}`)].join('\n');
    // The SAV's photos and documents travel with its message, each as what it is (a picture
    // sent "as a file" stays a document); videos stay in the folder it links to.
    const media = reportKind(report) === 'sav' ? reportMedia(report) : [];
    const idsOf = (source: string) => media.filter((m) => m.source === source).map((m) => m.fileId);
    const [fileIds, documentIds] = [idsOf('photo'), idsOf('document')];
    const target = { slug: report.slug, chatId: group };
    const idempotencyKey = groupKey(report.id);
    if (fileIds.length + documentIds.length > 0) {
      await enqueue(
        trx,
        telegramJobs['telegram.send-photos'],
        { idempotencyKey, payload: { ...target, fileIds, documentIds, caption: text } },
        now,
      );
    } else {
      await enqueue(
        trx,
        telegramJobs['telegram.send-message'],
        { idempotencyKey, payload: { ...target, text } },
        now,
      );
    }
  }
  await trx
    .updateTable('reports')
    .set({
      status: failed.length > 0 || onHold ? 'failed' : 'done',
      confirmed_at: now.getTime(),
      problems: JSON.stringify(problems),
      updated_at: now.getTime(),
    })
    .where('id', '=', report.id)
    .execute();
}

/** The Deck line; when the board lacks the "manage" right, exactly that and what to do. */
function deckProblem(deckError: string): string {
  if (!deckError.includes(MANAGE_RIGHT_MISSING)) return 'La carte Deck n’a pas pu être créée.';
  return 'La carte Deck n’a pas pu être créée : le tableau est partagé avec le service sans le droit « gérer », qui permet d’ajouter une colonne. Le bureau doit créer la colonne à la main ou donner ce droit au service.';
}

const GROUP_KEYS = { fin: 'chantier', sav: 'sav', materiel: 'magasin' } as const;

async function enqueueCard(trx: Transaction<Database>, deps: ReportDeps, reportId: number, now: Date) {
  if (!deps.cards) return;
  await enqueue(
    trx,
    reportJobs['report.deck-card'],
    { idempotencyKey: `report:${reportId}:deck`, payload: { reportId } },
    now,
  );
}

async function sendDelayNotice(deps: ReportDeps, report: ReportRow, now: Date) {
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
        idempotencyKey: `report:${report.id}:delay`,
        payload: { slug: report.slug, chatId: report.chat_id, text: delayNotice(report.public_id) },
      },
      now,
    );
  });
}

/** `report.delay-notice`: a minute after the report came, if it is still not confirmed, says so. */
export function delayNoticeHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.delay-notice'>> {
  return async ({ reportId }, { now }) => {
    const report = await getReport(deps.db, reportId);
    if (report?.status !== 'received' || report.delay_notified_at !== null) return;
    await sendDelayNotice(deps, report, now);
  };
}
