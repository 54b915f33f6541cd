import type { Transaction } from 'kysely';
import { lockForTransaction } from '../db/cluster-lock.ts';
import type { Db } from '../db/database.ts';
import { transact } from '../db/group-commit.ts';
import type { Database } from '../db/schema.ts';
import { LONGEST_WINDOW_MS, type RateWindow, windowDelay } from './rate-limiter.ts';

/**
 * The outgoing limits of Telegram sends, kept for every worker of every replica: each send is a
 * `send_log` row per scope it counts in (its chat, its bot), and a new send reads the scope's rows
 * still inside the window before adding its own (src/telegram/rate-limiter.ts decides). On
 * PostgreSQL a transaction-level advisory lock per scope makes that read-then-write one step
 * across replicas; on SQLite the one writer already does.
 */

export interface LimitedScope {
  readonly scope: string;
  readonly window: RateWindow;
}

/**
 * Records `messages` sent at `now` in every scope, or in none (one transaction): returns 0 when
 * they may go now, else how many ms to wait before asking again.
 */
export async function reserveSend(db: Db, scopes: readonly LimitedScope[], now: Date, messages: number) {
  try {
    // Scopes are locked in the caller's order, the chat before the bot, by every sender alike:
    // two senders never wait on each other's locks in a cycle.
    await transact(db, async (trx) => {
      for (const { scope, window } of scopes) {
        const waitMs = await reserveIn(trx, scope, window, now.getTime(), messages);
        // Rolls back the scopes already recorded: nothing is counted for a send that waits.
        if (waitMs > 0) throw new MustWait(waitMs);
      }
    });
    return 0;
  } catch (error) {
    if (error instanceof MustWait) return error.waitMs;
    throw error;
  }
}

class MustWait extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`must wait ${waitMs} ms`);
    this.waitMs = waitMs;
  }
}

async function reserveIn(
  trx: Transaction<Database>,
  scope: string,
  window: RateWindow,
  now: number,
  messages: number,
): Promise<number> {
  await lockForTransaction(trx, `telegram.send-log:${scope}`);
  const sent = await trx
    .selectFrom('send_log')
    .select(['sent_at as at', 'messages'])
    .where('scope', '=', scope)
    .where('sent_at', '>', now - window.windowMs)
    .execute();
  const waitMs = windowDelay(window, sent, now, messages);
  if (waitMs === 0) await trx.insertInto('send_log').values({ scope, sent_at: now, messages }).execute();
  return waitMs;
}

/** Forgets sends older than every window (housekeeping): they count for nothing. */
export async function purgeOldSends(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('send_log')
    .where('sent_at', '<=', now.getTime() - LONGEST_WINDOW_MS)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
