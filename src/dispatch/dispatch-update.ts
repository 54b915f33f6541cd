import type { BotConfig } from '../config.ts';
import { toEvent } from '../conversation/events.ts';
import { transition } from '../conversation/transition.ts';
import type { Db } from '../db/database.ts';
import { enqueue } from '../queue/enqueue.ts';
import type { Update } from '../telegram/update-schema.ts';
import { loadConversation, saveConversation } from './conversation-store.ts';
import { markUpdateSeen } from './seen-updates.ts';

export type DispatchOutcome = 'handled' | 'duplicate' | 'ignored';

export interface DispatchResult {
  readonly outcome: DispatchOutcome;
  /** Plain text for the gateway to relay, if any. */
  readonly reply: string | undefined;
}

/**
 * Handles one Update in one short transaction with no network: mark it seen, load the
 * conversation, run the pure transition, save, enqueue its effects as jobs.
 */
export async function dispatchUpdate(
  db: Db,
  bot: BotConfig,
  update: Update,
  now: Date,
): Promise<DispatchResult> {
  return db.transaction().execute(async (trx) => {
    if (!(await markUpdateSeen(trx, bot.slug, update.update_id, now))) return nothing('duplicate');
    const event = toEvent(update);
    if (event.kind === 'ignored') return nothing('ignored');

    const key = { slug: bot.slug, chatId: event.origin.chatId, userId: event.sender.userId };
    const stored = await loadConversation(trx, key);
    const outcome = transition(stored.state, event, now);
    await saveConversation(trx, key, outcome.state, stored.version, now);
    for (const effect of outcome.effects) {
      await enqueue(
        trx,
        {
          type: effect.job,
          idempotencyKey: `${bot.slug}:${update.update_id}:${effect.key}`,
          payload: effect.payload,
        },
        now,
      );
    }
    return { outcome: 'handled', reply: outcome.reply };
  });
}

const nothing = (outcome: DispatchOutcome): DispatchResult => ({ outcome, reply: undefined });
