import type { Transaction } from 'kysely';
import type { Say } from '../conversation/outcome.ts';
import type { Database } from '../db/schema.ts';
import { enqueue } from '../queue/enqueue.ts';
import { telegramJobs } from '../telegram/telegram-jobs.ts';
import type { ConversationKey } from './conversation-store.ts';

export interface DeliveryMode {
  /** The Bot API can be called for this bot (it has a token). */
  readonly botApi: boolean;
  /** The update carried a private-chat message: the gateway relays our synchronous text. */
  readonly syncReply: boolean;
}

/**
 * Sends what the conversation says: plain lines to a private message go back in the gateway's
 * synchronous `text` (instant, no API call); keyboards and anything else become Bot API jobs,
 * in order.
 * Without a token (demo), everything comes back synchronously, buttons shown as text, so a
 * developer with curl sees what a technician would.
 */
export async function deliverSays(
  trx: Transaction<Database>,
  conversation: ConversationKey,
  says: readonly Say[],
  sourceKey: string,
  mode: DeliveryMode,
  now: Date,
): Promise<string | undefined> {
  if (!mode.botApi) return joinReply(says.map(asPlainText));
  // The gateway relays our text only after we answer, and the worker may send a Bot API message
  // before that: mixing both would shuffle the lines. When one needs the API (buttons), all go.
  if (mode.syncReply && says.every((say) => !say.keyboard)) return joinReply(says.map((say) => say.text));
  for (const [index, say] of says.entries()) {
    await enqueue(
      trx,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: `${conversation.slug}:${sourceKey}:say:${index}`,
        payload: {
          slug: conversation.slug,
          chatId: conversation.chatId,
          text: say.text,
          ...(say.keyboard ? { keyboard: say.keyboard.map((row) => [...row]) } : {}),
        },
      },
      now,
    );
  }
  return undefined;
}

function asPlainText(say: Say): string {
  if (!say.keyboard) return say.text;
  const buttons = say.keyboard.flat().map((button) => `[${button.text}]`);
  return `${say.text}\n${buttons.join(' ')}`;
}

const joinReply = (lines: string[]) => (lines.length > 0 ? lines.join('\n\n') : undefined);
