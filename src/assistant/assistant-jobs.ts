import type { Transaction } from 'kysely';
import { texts } from '../conversation/texts.ts';
import { assistantJobs } from './assistant-job-kinds.ts';
import { telegramJobs } from '../telegram/telegram-jobs.ts';
import { feedbackData, knownFixChoiceData } from '../conversation/transition.ts';
import { withClusterLock } from '../db/cluster-lock.ts';
import { enqueue, type NewJob } from '../queue/enqueue.ts';
import type { CardPort } from '../reports/report-deps.ts';
import { defineHandlers, type HandlerSet, type JobContext } from '../queue/job-handler.ts';
import type { Db } from '../db/database.ts';
import type { Database, JobState } from '../db/schema.ts';
import type { PayloadOf } from '../queue/job-kind.ts';
import { reportConfirmedKey, reportJobKey } from '../reports/report-jobs.ts';
import { jobKeysStartingWith } from '../queue/job-store.ts';
import { getReport } from '../reports/report-store.ts';
import { recordAnswer } from './answer-log.ts';
import { ASSISTANT_UNAVAILABLE, assistantUnavailableForReport } from './answer-text.ts';
import type { AssistantAnswer, createSavAssistant } from './sav-assistant.ts';

export type SavAssistant = ReturnType<typeof createSavAssistant>;

export interface AssistantJobDeps {
  readonly db: Db;
  readonly assistant: SavAssistant;
  /** Deck, when Nextcloud is configured: the answer is also summed up under the report's card. */
  readonly cards: CardPort | undefined;
  /** Whether this slug can call the Bot API. */
  readonly hasBotApi: (slug: string) => boolean;
}

/**
 * The assistant's jobs. They run after the report's own work and never block it: a broken or
 * missing Ollama only delays these answers (retried); when an answer's job dies, the technician
 * is told once that the assistant did not answer (`assistant.unanswered`), and the dead job stays
 * visible for the admin API.
 */
export function assistantHandlers(deps: AssistantJobDeps): HandlerSet {
  return defineHandlers(assistantJobs, {
    'assistant.sync': async (_payload, { log }) => {
      // Each replica queues its own hourly sync: they run one at a time across the cluster.
      const report = await withClusterLock(deps.db, 'assistant.sync', () => deps.assistant.sync());
      if (report.readAsWindows1252.length > 0) {
        log.warn(
          { notes: report.readAsWindows1252 },
          'knowledge notes not in UTF-8 were read as windows-1252: save them again in UTF-8',
        );
      }
    },
    'assistant.answer-report': async ({ reportId }, ctx) => {
      const { now } = ctx;
      const report = await getReport(deps.db, reportId);
      if (!report?.text) return;
      const botApi = deps.hasBotApi(report.slug);
      if (botApi) await watchForDeath(deps.db, ctx, { reportId });
      const answer = await deps.assistant.answer(report.text);
      await deps.db.transaction().execute(async (trx) => {
        const answerId = await recordAnswer<Database>(trx, answerKey(reportId), report.text, answer, now);
        const sent =
          botApi &&
          (await enqueue(
            trx,
            telegramJobs['telegram.send-message'],
            {
              idempotencyKey: reportAnswerMessageKey(reportId),
              // The consignation line stays first: the report id goes at the end.
              payload: {
                slug: report.slug,
                chatId: report.chat_id,
                text: `${answer.text}\n\n🎫 ${report.public_id}`,
                keyboard: answerKeyboard(answer, answerId),
              },
              // Never before the report's "✅ SAV-…" (a dead confirmation does not hold it back).
              after: [reportConfirmedKey(reportId)],
            },
            now,
          ));
        if (botApi && !sent) ctx.log.info({ reportId }, notSent);
        if (deps.cards) await enqueueDeckComment(trx, reportId, answerId, sent, now);
      });
    },
    'assistant.answer-question': async ({ slug, chatId, question, key, note }, ctx) => {
      const { now } = ctx;
      const botApi = deps.hasBotApi(slug);
      if (botApi) await watchForDeath(deps.db, ctx, { slug, chatId, key });
      const answer = await deps.assistant.answer(question, note === undefined ? {} : { note });
      await deps.db.transaction().execute(async (trx) => {
        const answerId = await recordAnswer<Database>(trx, key, question, answer, now);
        if (!botApi) return;
        const sent = await enqueue(
          trx,
          telegramJobs['telegram.send-message'],
          {
            idempotencyKey: questionAnswerMessageKey(slug, key),
            payload: {
              slug,
              chatId,
              text: answer.text,
              // The technician can turn the question into a SAV report right away.
              keyboard: [
                ...answerKeyboard(answer, answerId),
                [{ text: texts.openSav, callback_data: 'sav' }],
              ],
            },
          },
          now,
        );
        if (!sent) ctx.log.info({ key }, notSent);
      });
    },
    'assistant.unanswered': async (watched, ctx) => {
      const [answerJob] = await ctx.dependencies();
      if (answerJob?.state !== 'dead') return;
      const message = await unansweredMessage(deps, watched);
      const told =
        message !== undefined &&
        (await deps.db
          .transaction()
          .execute(async (trx) => enqueue(trx, telegramJobs['telegram.send-message'], message, ctx.now)));
      ctx.log.warn(
        { answerJob: answerJob.idempotencyKey, lastError: answerJob.lastError, told },
        told
          ? 'the assistant did not answer: the technician is told'
          : 'the assistant did not answer; the technician is not told (no Bot API, or a message went out under its key already)',
      );
    },
    'assistant.deck-comment': async ({ reportId, answerSent }, ctx) => {
      const report = await getReport(deps.db, reportId);
      // It waited on the card's job: no card now means none will come (Deck failed or is off).
      if (!report || !deps.cards || report.deck_card_id === null) return;
      const logged = await deps.db
        .selectFrom('assistant_answers')
        .select('text')
        .where('key', '=', answerKey(reportId))
        .executeTakeFirst();
      if (logged) {
        const comment = deckComment(logged.text, report.public_id, answerSent ?? true);
        await postOnce(deps.cards, report.deck_card_id, comment, ctx);
      }
    },
  });
}

const notSent =
  'answer recorded, not sent: a message went out under its key already (the line saying the assistant did not answer, before an admin retry; or this answer, from an earlier run)';

/** The technician's message with a SAV report's leads, or the line saying there are none. */
const reportAnswerMessageKey = (reportId: number) => `report:${reportId}:assistant-answer`;
/** The technician's message with the answer to a question, or the line saying there is none. */
const questionAnswerMessageKey = (slug: string, key: string) => `${slug}:${key}:answer`;

/**
 * Before asking Ollama: a job that waits on this one and, once it has ended, tells the technician
 * if it died. The engine has no hook for a job's death; a job enqueued `after` another runs once
 * it ended, done or dead, and reads how (src/queue/enqueue.ts), which is how report.notify learns
 * of its uploads' deaths (src/reports/jobs/notify-report.ts). Enqueued at the first run only: a
 * retry, or an admin retry of the dead job, finds its key taken, so the technician is told once.
 */
async function watchForDeath(
  db: Db,
  ctx: JobContext,
  watched: PayloadOf<(typeof assistantJobs)['assistant.unanswered']>,
): Promise<void> {
  const key = ctx.job.idempotency_key;
  await db.transaction().execute(async (trx) => {
    await enqueue(
      trx,
      assistantJobs['assistant.unanswered'],
      { idempotencyKey: `${key}:unanswered`, payload: watched, after: [key] },
      ctx.now,
    );
  });
}

/**
 * The line that replaces the answer, under the answer's own message key: whichever comes first,
 * the answer or this line, is the only message the technician gets for it (an admin retry that
 * answers later finds the key taken). Undefined when nobody can be told.
 */
async function unansweredMessage(
  deps: AssistantJobDeps,
  watched: PayloadOf<(typeof assistantJobs)['assistant.unanswered']>,
): Promise<NewJob<(typeof telegramJobs)['telegram.send-message']> | undefined> {
  if (!('reportId' in watched)) {
    if (!deps.hasBotApi(watched.slug)) return undefined;
    return {
      idempotencyKey: questionAnswerMessageKey(watched.slug, watched.key),
      payload: { slug: watched.slug, chatId: watched.chatId, text: ASSISTANT_UNAVAILABLE },
    };
  }
  const report = await getReport(deps.db, watched.reportId);
  if (!report || !deps.hasBotApi(report.slug)) return undefined;
  return {
    idempotencyKey: reportAnswerMessageKey(report.id),
    payload: {
      slug: report.slug,
      chatId: report.chat_id,
      text: assistantUnavailableForReport(report.public_id),
    },
    after: [reportConfirmedKey(report.id)],
  };
}

/**
 * The answer under the report's card, once the card's job has ended (the comment needs its id).
 * The comment the report's plan enqueued waits on this job and reads the answer; it may have run
 * already, without one, when this job died before an admin retry: a comment keyed to this answer
 * then waits on it and posts (postOnce finds the plan's comment again, if that one posted).
 */
async function enqueueDeckComment(
  trx: Transaction<Database>,
  reportId: number,
  answerId: number,
  answerSent: boolean,
  now: Date,
): Promise<void> {
  const card = reportJobKey(reportId, 'deck');
  // On hold, the card's job does not exist yet: the report's plan enqueues the comment with it.
  if (!(await jobKeysStartingWith(trx, card)).includes(card)) return;
  const planned = reportJobKey(reportId, 'assistant-comment');
  const plannedState = await jobState(trx, planned);
  if (plannedState === 'pending') return;
  const payload = answerSent ? { reportId } : { reportId, answerSent };
  await enqueue(
    trx,
    assistantJobs['assistant.deck-comment'],
    plannedState === undefined
      ? // A leads job queued by a version before the plan enqueued the comment.
        { idempotencyKey: planned, payload, after: [card] }
      : {
          idempotencyKey: reportJobKey(reportId, `assistant-comment:${answerId}`),
          payload,
          after: [card, planned],
        },
    now,
  );
}

async function jobState(trx: Transaction<Database>, key: string): Promise<JobState | undefined> {
  const row = await trx
    .selectFrom('jobs')
    .select('state')
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return row?.state;
}

/**
 * A comment is not idempotent in Deck. Its id is recorded once posted; an earlier attempt that
 * may have posted it without recording (a time-out, a crash after Deck stored it) is found again
 * by the report id it carries before posting anew.
 */
async function postOnce(cards: CardPort, cardId: number, message: string, ctx: JobContext) {
  if (ctx.progress() !== undefined) return;
  const marker = message.slice(message.lastIndexOf('\n') + 1);
  const earlier = await cards.findComment(cardId, marker);
  const commentId = earlier ?? (await cards.addComment(cardId, message));
  await ctx.saveProgress({ commentId });
}

const answerKey = (reportId: number) => `report:${reportId}`;

/** Queues a new indexing of the known fixes; `cause` (hourly, admin) only names it in the key. */
export async function enqueueAssistantSync(db: Db, now: Date, cause: string): Promise<void> {
  await enqueue(
    db,
    assistantJobs['assistant.sync'],
    { idempotencyKey: `assistant.sync:${cause}:${now.toISOString()}`, payload: {} },
    now,
  );
}

/**
 * The answer under the report's card: Deck keeps 1000 characters, so the leads are cut on a line
 * and the comment says whether the technician has the whole answer (`answerSent`).
 */
export function deckComment(answer: string, publicId: string, answerSent = true): string {
  const header = answerSent
    ? '🤖 Pistes de l’assistant (réponse complète envoyée au technicien) :'
    : '🤖 Pistes de l’assistant (le technicien ne les a pas reçues) :';
  // The report id closes the comment: it finds an earlier attempt's comment again.
  const footer = `🎫 ${publicId}`;
  const room = 950 - header.length - footer.length;
  const lines: string[] = [];
  for (const line of answer.split('\n')) {
    if ([...lines, line].join('\n').length > room) break;
    lines.push(line);
  }
  return [header, ...lines, footer].join('\n');
}

/** One button per known fix when the assistant asks which fits; 👍 / 👎 under an answer. */
function answerKeyboard(answer: AssistantAnswer, answerId: number) {
  if (answer.choices.length === 0) return feedbackKeyboard(answerId);
  return answer.choices.map((choice) => [
    { text: choice.label, callback_data: knownFixChoiceData(choice.note) },
  ]);
}

/** 👍 / 👎 under an answer: stored with it, they feed the calibration set. */
function feedbackKeyboard(answerId: number) {
  return [
    [
      { text: '👍 Utile', callback_data: feedbackData(answerId, true) },
      { text: '👎 Pas utile', callback_data: feedbackData(answerId, false) },
    ],
  ];
}
