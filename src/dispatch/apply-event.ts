import type { Transaction } from 'kysely';
import type { Effect, Outcome } from '../conversation/outcome.ts';
import type { ConversationState } from '../conversation/state.ts';
import { type ConversationEvent, type TransitionContext, transition } from '../conversation/transition.ts';
import { recordFeedback } from '../assistant/answer-log.ts';
import type { Database } from '../db/schema.ts';
import { effectJobs } from '../conversation/effect-jobs.ts';
import { enqueue } from '../queue/enqueue.ts';
import { reportConfirmedKey, reportJobKey, reportJobs } from '../reports/report-jobs.ts';
import { addReportMedia, insertReport } from '../reports/report-store.ts';
import { type ConversationKey, loadConversation, saveConversation } from './conversation-store.ts';
import { answerKey } from './deliver-says.ts';
import { loadKnownChantiers } from './known-chantiers.ts';

/**
 * Runs one event through the conversation inside the caller's transaction: load, transition,
 * save, and record every effect (jobs, reports). `sourceKey` names what caused the event
 * (`u<update_id>`, `album:<id>`) so that effects of a redelivered cause are not recorded twice.
 */
export async function applyEvent(
  trx: Transaction<Database>,
  conversation: ConversationKey,
  event: ConversationEvent,
  sourceKey: string,
  ctx: TransitionContext,
  skipJob: (type: string) => boolean = () => false,
  deliver: (outcome: Outcome) => Promise<void> = async () => {},
): Promise<Outcome> {
  const stored = await loadConversation(trx, conversation);
  const outcome = await transitionReadingChantiers(trx, stored.state, event, ctx);
  await saveConversation(trx, conversation, outcome.state, stored.version, ctx.now);
  // The answer is queued before the effects: those that must follow it (`afterAnswer`) wait for it.
  await deliver(outcome);
  await recordEffects(trx, conversation, outcome.effects, sourceKey, ctx.now, skipJob);
  return outcome;
}

/**
 * The transition, with the known chantiers read only when it looks at them: a button or a command
 * does not, a report's text does. Reading them is a sort of up to 2,000 rows, the costliest read of
 * an update. The transition is pure: run again with the chantiers, it gives what a single run with
 * them would have given.
 */
async function transitionReadingChantiers(
  trx: Transaction<Database>,
  state: ConversationState,
  event: ConversationEvent,
  ctx: TransitionContext,
): Promise<Outcome> {
  const read = { chantiers: false };
  const withoutChantiers = transition(state, event, {
    ...ctx,
    get knownChantiers() {
      read.chantiers = true;
      return undefined;
    },
  });
  if (!read.chantiers) return withoutChantiers;
  return transition(state, event, { ...ctx, knownChantiers: await loadKnownChantiers(trx) });
}

/** Records effects (jobs, reports) in the caller's transaction, keyed by their cause. */
export async function recordEffects(
  trx: Transaction<Database>,
  conversation: ConversationKey,
  effects: readonly Effect[],
  sourceKey: string,
  now: Date,
  skipJob: (type: string) => boolean = () => false,
): Promise<void> {
  for (const effect of effects) await recordEffect(trx, conversation, effect, sourceKey, now, skipJob);
}

async function recordEffect(
  trx: Transaction<Database>,
  conversation: ConversationKey,
  effect: Effect,
  sourceKey: string,
  now: Date,
  skipJob: (type: string) => boolean,
): Promise<void> {
  const { slug, chatId, userId } = conversation;
  switch (effect.kind) {
    case 'job': {
      if (skipJob(effect.job)) return;
      const scope = effect.scope === 'update' ? sourceKey : `c${chatId}:${userId}`;
      await enqueue(
        trx,
        effectJobs[effect.job],
        {
          idempotencyKey: `${slug}:${scope}:${effect.key}`,
          payload: effect.payload,
          ...(effect.runAt === undefined ? {} : { runAt: new Date(effect.runAt) }),
          ...(effect.afterAnswer ? { after: [answerKey(slug, sourceKey)] } : {}),
        },
        now,
      );
      return;
    }
    case 'report': {
      const report = await insertReport(trx, slug, `${slug}:${effect.key}`, effect.report, now);
      if (!report) return;
      const processKey = reportJobKey(report.id, 'process');
      await enqueue(
        trx,
        reportJobs['report.process'],
        { idempotencyKey: processKey, payload: { reportId: report.id } },
        now,
      );
      // Announced from the report itself once its work has ended: a plan that fails for good is
      // still told. The plan makes it wait on the work it enqueues too.
      await enqueue(
        trx,
        reportJobs['report.notify'],
        {
          idempotencyKey: reportJobKey(report.id, 'notify'),
          payload: { reportId: report.id },
          after: [processKey],
        },
        now,
      );
      // Passed once the technician's confirmation has left: later messages (the SAV leads) wait on it.
      await enqueue(
        trx,
        reportJobs['report.confirmed'],
        {
          idempotencyKey: reportConfirmedKey(report.id),
          payload: { reportId: report.id },
          after: [reportJobKey(report.id, 'notify')],
        },
        now,
      );
      return;
    }
    case 'report-addition': {
      const result = await addReportMedia(trx, `${slug}:${effect.reportKey}`, effect.media, now);
      if (!result || result.added.length === 0) return;
      const messageIds = result.added.map((m) => m.messageId);
      await enqueue(
        trx,
        reportJobs['report.add-media'],
        {
          idempotencyKey: reportJobKey(result.report.id, `add:${messageIds.join(',')}`),
          payload: { reportId: result.report.id, messageIds },
          // Filed after the report's plan, in the folder it chose.
          after: [reportJobKey(result.report.id, 'process')],
        },
        now,
      );
      return;
    }
    case 'feedback':
      // Feeds calibration; an answer purged or unknown simply records nothing.
      await recordFeedback<Database>(trx, effect.answerId, effect.helpful ? 'helpful' : 'not-helpful', now);
      return;
  }
}
