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
  // One answer per message the technician sent: its lines travel together, in order, so they
  // cannot be shuffled nor read as several replies.
  const answer = combine(says);
  if (!answer) return undefined;
  if (mode.syncReply && !answer.keyboard) return answer.text;
  await enqueue(
    trx,
    telegramJobs['telegram.send-message'],
    {
      idempotencyKey: answerKey(conversation.slug, sourceKey),
      payload: {
        slug: conversation.slug,
        chatId: conversation.chatId,
        text: answer.text,
        ...(answer.keyboard ? { keyboard: answer.keyboard.map((row) => [...row]) } : {}),
      },
    },
    now,
  );
  return undefined;
}

/** The idempotency key of the answer to one cause (`u<update_id>`, `album:<id>`), when it is a job. */
export const answerKey = (slug: string, sourceKey: string) => `${slug}:${sourceKey}:say:0`;

/** The lines as one message; its buttons are those of every line, in order. */
function combine(says: readonly Say[]): Say | undefined {
  if (says.length === 0) return undefined;
  const rows = says.flatMap((say) => say.keyboard ?? []);
  const text = says.map((say) => say.text).join('\n\n');
  return rows.length > 0 ? { text, keyboard: rows } : { text };
}

function asPlainText(say: Say): string {
  if (!say.keyboard) return say.text;
  const buttons = say.keyboard.flat().map((button) => `[${button.text}]`);
  return `${say.text}\n${buttons.join(' ')}`;
}

const joinReply = (lines: string[]) => (lines.length > 0 ? lines.join('\n\n') : undefined);
