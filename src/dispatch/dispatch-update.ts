import type { Transaction } from 'kysely';
import type { BotConfig } from '../config.ts';
import { type Event, toEvent } from '../conversation/events.ts';
import type { ConversationSettings } from '../conversation/settings.ts';
import { refusal } from '../conversation/refusal.ts';
import { texts } from '../conversation/texts.ts';
import { InvalidJobPayloadError } from '../queue/enqueue.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { transact } from '../db/group-commit.ts';
import { type CappedUpdate, capUpdateTexts, cutNotice } from '../telegram/cap-update-texts.ts';
import type { Update } from '../telegram/update-schema.ts';
import { applyEvent, recordEffects } from './apply-event.ts';
import { deliverSays } from './deliver-says.ts';
import { markUpdateSeen, storedReply, storeReply } from './seen-updates.ts';

export type DispatchOutcome = 'handled' | 'duplicate' | 'ignored' | 'refused' | 'failed';

export interface DispatchResult {
  readonly outcome: DispatchOutcome;
  /** Plain text for the gateway to relay, if any. */
  readonly reply: string | undefined;
  /** Why a `failed` update could not be handled (for the log). */
  readonly error?: unknown;
}

/**
 * Handles one Update in one short transaction with no network: mark it seen, run the event
 * through the conversation, record its effects as jobs, and say what goes back synchronously,
 * kept with the seen mark. An update seen before (Telegram sends it again when our 200 did not
 * reach the gateway) is answered with the text kept for it, and nothing else runs.
 * The transaction may be shared with other updates (src/db/group-commit.ts); the result comes
 * once it is committed.
 */
export async function dispatchUpdate(
  db: Db,
  bot: BotConfig,
  received: Update,
  now: Date,
  settings: ConversationSettings,
): Promise<DispatchResult> {
  const { update, cut } = capUpdateTexts(received);
  try {
    return await dispatchInTransaction(db, bot, update, now, settings, cut);
  } catch (error) {
    if (!(error instanceof InvalidJobPayloadError)) throw error;
    // A bug, not an outage: the same update would fail the same way at every redelivery and hold
    // up the chat's later ones. Mark it seen and tell the technician; the error goes to the log.
    return await db.transaction().execute(async (trx): Promise<DispatchResult> => {
      if (!(await markUpdateSeen(trx, bot.slug, update.update_id, now))) return repeated(trx, bot, update);
      await storeReply(trx, bot.slug, update.update_id, texts.notProcessed);
      return { outcome: 'failed', reply: texts.notProcessed, error };
    });
  }
}

async function dispatchInTransaction(
  db: Db,
  bot: BotConfig,
  update: Update,
  now: Date,
  settings: ConversationSettings,
  cut: CappedUpdate['cut'],
): Promise<DispatchResult> {
  return transact(db, async (trx) => {
    if (!(await markUpdateSeen(trx, bot.slug, update.update_id, now))) return repeated(trx, bot, update);
    const result = await handleUpdate(trx, bot, update, now, settings, cut);
    // Only an answer in the synchronous `text` costs a statement: it is kept nowhere else.
    if (result.reply !== undefined) await storeReply(trx, bot.slug, update.update_id, result.reply);
    return result;
  });
}

/** Runs a newly seen update through the conversation, in the transaction that marked it. */
async function handleUpdate(
  trx: Transaction<Database>,
  bot: BotConfig,
  update: Update,
  now: Date,
  settings: ConversationSettings,
  cut: CappedUpdate['cut'],
): Promise<DispatchResult> {
  const event = toEvent(update);
  if (event.kind === 'ignored') return nothing('ignored');

  const sourceKey = `u${update.update_id}`;
  const conversation = { slug: bot.slug, chatId: event.origin.chatId, userId: event.sender.userId };
  const mode = {
    botApi: bot.token !== undefined,
    syncReply: event.kind !== 'button' && event.kind !== 'edited',
  };
  const skipJob = (type: string) => skipsTelegram(bot, type);
  if (!isAllowed(bot, event)) {
    // Nothing is recorded for strangers beyond the dedupe mark and the refusal itself.
    const refused = refusal(event, bot.slug);
    await recordEffects(trx, conversation, refused.effects, sourceKey, now, skipJob);
    return {
      outcome: 'refused',
      reply: await deliverSays(trx, conversation, refused.say, sourceKey, mode, now),
    };
  }
  let reply: string | undefined;
  await applyEvent(
    trx,
    conversation,
    event,
    sourceKey,
    { slug: bot.slug, now, settings },
    skipJob,
    async (outcome) => {
      const says = cut ? [{ text: cutNotice(cut) }, ...outcome.say] : outcome.say;
      reply = await deliverSays(trx, conversation, says, sourceKey, mode, now);
    },
  );
  return { outcome: 'handled', reply };
}

function isAllowed(bot: BotConfig, event: Event): boolean {
  return bot.allowedUsers.length === 0 || bot.allowedUsers.includes(event.sender.userId);
}

/** Without a token nothing can reach Telegram: such jobs would wait forever. */
function skipsTelegram(bot: BotConfig, type: string): boolean {
  return bot.token === undefined && type.startsWith('telegram.');
}

const nothing = (outcome: DispatchOutcome): DispatchResult => ({ outcome, reply: undefined });

/**
 * A `duplicate`: the update was handled before, its effects are recorded. Its first answer may
 * not have reached the gateway (that is why Telegram sends it again), so the same text goes back.
 */
async function repeated(trx: Transaction<Database>, bot: BotConfig, update: Update): Promise<DispatchResult> {
  return { outcome: 'duplicate', reply: await storedReply(trx, bot.slug, update.update_id) };
}
