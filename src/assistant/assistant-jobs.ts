import type { Transaction } from 'kysely';
import { texts } from '../conversation/texts.ts';
import { assistantJobs } from './assistant-job-kinds.ts';
import { telegramJobs } from '../telegram/telegram-jobs.ts';
import { feedbackData, knownFixChoiceData } from '../conversation/transition.ts';
import { withClusterLock } from '../db/cluster-lock.ts';
import { enqueue } from '../queue/enqueue.ts';
import type { CardPort } from '../reports/report-deps.ts';
import { defineHandlers, type HandlerSet, type JobContext } from '../queue/job-handler.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { reportConfirmedKey, reportJobKey } from '../reports/report-jobs.ts';
import { jobKeysStartingWith } from '../queue/job-store.ts';
import { getReport } from '../reports/report-store.ts';
import { recordAnswer } from './answer-log.ts';
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
 * missing Ollama only delays or drops these answers (retried, then dead and visible).
 */
export function assistantHandlers(deps: AssistantJobDeps): HandlerSet {
  return defineHandlers(assistantJobs, {
    'assistant.sync': async () => {
      // Each replica queues its own hourly sync: they run one at a time across the cluster.
      await withClusterLock(deps.db, 'assistant.sync', () => deps.assistant.sync());
    },
    'assistant.answer-report': async ({ reportId }, { now }) => {
      const report = await getReport(deps.db, reportId);
      if (!report?.text) return;
      const answer = await deps.assistant.answer(report.text);
      await deps.db.transaction().execute(async (trx) => {
        const answerId = await recordAnswer<Database>(trx, answerKey(reportId), report.text, answer, now);
        if (deps.cards && (await cardJobExists(trx, reportId))) {
          // Once the card's job has ended: the comment needs its id. On hold, the card's job
          // does not exist yet: the report's plan enqueues this comment when it creates it.
          await enqueue(
            trx,
            assistantJobs['assistant.deck-comment'],
            {
              idempotencyKey: reportJobKey(reportId, 'assistant-comment'),
              payload: { reportId },
              after: [reportJobKey(reportId, 'deck')],
            },
            now,
          );
        }
        if (!deps.hasBotApi(report.slug)) return;
        await enqueue(
          trx,
          telegramJobs['telegram.send-message'],
          {
            idempotencyKey: `report:${reportId}:assistant-answer`,
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
        );
      });
    },
    'assistant.answer-question': async ({ slug, chatId, question, key, note }, { now }) => {
      const answer = await deps.assistant.answer(question, note === undefined ? {} : { note });
      await deps.db.transaction().execute(async (trx) => {
        const answerId = await recordAnswer<Database>(trx, key, question, answer, now);
        if (!deps.hasBotApi(slug)) return;
        await enqueue(
          trx,
          telegramJobs['telegram.send-message'],
          {
            idempotencyKey: `${slug}:${key}:answer`,
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
      });
    },
    'assistant.deck-comment': async ({ reportId }, ctx) => {
      const report = await getReport(deps.db, reportId);
      // It waited on the card's job: no card now means none will come (Deck failed or is off).
      if (!report || !deps.cards || report.deck_card_id === null) return;
      const logged = await deps.db
        .selectFrom('assistant_answers')
        .select('text')
        .where('key', '=', answerKey(reportId))
        .executeTakeFirst();
      if (logged)
        await postOnce(deps.cards, report.deck_card_id, deckComment(logged.text, report.public_id), ctx);
    },
  });
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
 * and the comment says the technician has the whole answer.
 */
export function deckComment(answer: string, publicId: string): string {
  const header = '🤖 Pistes de l’assistant (réponse complète envoyée au technicien) :';
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

async function cardJobExists(trx: Transaction<Database>, reportId: number): Promise<boolean> {
  const card = reportJobKey(reportId, 'deck');
  return (await jobKeysStartingWith(trx, card)).includes(card);
}
