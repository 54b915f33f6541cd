import type { Transaction } from 'kysely';
import { telegramJobs } from '../../telegram/telegram-jobs.ts';
import { menuKeyboard } from '../../conversation/texts.ts';
import type { Database } from '../../db/schema.ts';
import { enqueue } from '../../queue/enqueue.ts';
import { cancelPendingJob } from '../../queue/job-store.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { archivePlanOf, factsOf, problemsOf, reportKind } from '../report-facts.ts';
import { confirmation, delayNotice, groupMessage } from '../report-messages.ts';
import { getReport, type ReportRow, reportMedia } from '../report-store.ts';

/** After this long still retrying, the technician is told honestly that archiving goes on. */
export const DELAY_NOTICE_AFTER_MS = 60_000;

/**
 * `report.notify`: runs once the report's archive, Markdown and card jobs have ended (it waits on
 * them: the engine makes it runnable in the transaction that ends the last one), then tells the
 * office group and confirms to the technician, in one transaction, so each happens once.
 */
export function notifyReportHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.notify'>> {
  return async ({ reportId }, ctx) => {
    const { now } = ctx;
    const report = await getReport(deps.db, reportId);
    if (report?.status !== 'received') return;
    const work = await ctx.dependencies();
    const failed = failures(work.filter((job) => job.state === 'dead').map((job) => job.type));
    await deps.db.transaction().execute(async (trx) => {
      await notify(trx, deps, report, failed, now);
    });
  };
}

/** `report.delay-notice`: a minute after the report came, if it is still not confirmed, says so. */
export function delayNoticeHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.delay-notice'>> {
  return async ({ reportId }, { now }) => {
    const report = await getReport(deps.db, reportId);
    if (report?.status !== 'received' || report.delay_notified_at !== null) return;
    await sendDelayNotice(deps, report, now);
  };
}

function failures(deadTypes: string[]): string[] {
  const problems: string[] = [];
  const photos = deadTypes.filter((type) => type === 'report.archive-photo').length;
  if (photos > 0)
    problems.push(`Archivage Nextcloud échoué pour ${photos} photo(s) : le bureau est prévenu.`);
  if (deadTypes.includes('report.write-markdown'))
    problems.push('Le compte rendu Markdown n’a pas pu être écrit.');
  if (deadTypes.includes('report.deck-card')) problems.push('La carte Deck n’a pas pu être créée.');
  return problems;
}

async function notify(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  failed: string[],
  now: Date,
) {
  const plan = archivePlanOf(report);
  const photoCount = plan ? plan.files.filter((file) => file.stored).length : reportMedia(report).length;
  const facts = factsOf(report, photoCount);
  const problems = [...problemsOf(report), ...failed];
  const bot = deps.config.bots.find((b) => b.slug === report.slug);
  const group = bot?.groups[GROUP_KEYS[reportKind(report)]];
  const canSend = deps.telegram.has(report.slug);
  const key = (suffix: string) => `report:${report.id}:${suffix}`;

  if (canSend && group !== undefined) {
    const text = [groupMessage(facts), ...failed.map((line) => `⚠️ ${line}`)].join('\n');
    // An album of photos travels with the SAV message; videos stay in the folder it links to.
    const fileIds =
      reportKind(report) === 'sav'
        ? reportMedia(report)
            .filter((m) => m.source !== 'video')
            .map((m) => m.fileId)
        : [];
    const target = { slug: report.slug, chatId: group };
    const idempotencyKey = key('group');
    if (fileIds.length > 0) {
      await enqueue(
        trx,
        telegramJobs['telegram.send-photos'],
        { idempotencyKey, payload: { ...target, fileIds, caption: text } },
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
  if (canSend) {
    const text = confirmation({ ...facts, groupNotified: group !== undefined, problems });
    await enqueue(
      trx,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: key('confirmation'),
        payload: {
          slug: report.slug,
          chatId: report.chat_id,
          text,
          keyboard: menuKeyboard.map((row) => [...row]),
        },
      },
      now,
    );
  }
  // Confirmed now: the reminder that archiving goes on is no longer needed.
  await cancelPendingJob(trx, key('delay-notice'), now);
  await trx
    .updateTable('reports')
    .set({
      status: failed.length > 0 ? 'failed' : 'done',
      confirmed_at: now.getTime(),
      problems: JSON.stringify(problems),
      updated_at: now.getTime(),
    })
    .where('id', '=', report.id)
    .execute();
}

const GROUP_KEYS = { fin: 'chantier', sav: 'sav', materiel: 'magasin' } as const;

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
