import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import { transact } from '../db/group-commit.ts';
import type { Database } from '../db/schema.ts';
import { type Pace, reservationTerms } from './rate-limiter.ts';

/**
 * The outgoing pace of Telegram sends, shared by every worker of every replica: one `send_pace`
 * row per scope (a chat, a bot) holding its "busy until" time (src/telegram/rate-limiter.ts).
 * A reservation is one statement per scope that reads and moves that time atomically (a row lock
 * on PostgreSQL, the one writer on SQLite), so two replicas never both take the last room.
 */

export interface PacedScope {
  readonly scope: string;
  readonly pace: Pace;
}

/**
 * Reserves `messages` at `now` in every scope, or in none (one transaction): returns 0 when they
 * may go now, else how many ms to wait before asking again.
 */
export async function reserveSend(db: Db, scopes: readonly PacedScope[], now: Date, messages: number) {
  try {
    await transact(db, async (trx) => {
      for (const { scope, pace } of scopes) {
        const waitMs = await reserveIn(trx, scope, pace, now.getTime(), messages);
        // Rolls back the scopes already reserved: nothing is counted for a send that waits.
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

/**
 * One statement, the same on both dialects: inserts the scope busy for the cost, or moves an
 * existing one on when it has room. The conflict's WHERE leaves a full bucket untouched (and
 * returns no row); PostgreSQL still locks that row until the transaction ends
 * (https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT), so the wait read next is
 * the one that refused.
 */
async function reserveIn(
  trx: Transaction<Database>,
  scope: string,
  pace: Pace,
  now: number,
  messages: number,
): Promise<number> {
  const { costMs, roomMs } = reservationTerms(pace, messages);
  const reserved = await trx
    .insertInto('send_pace')
    .values({ scope, busy_until: now + costMs })
    .onConflict((oc) =>
      oc
        .column('scope')
        .doUpdateSet({
          busy_until: sql<number>`CASE WHEN send_pace.busy_until > ${now} THEN send_pace.busy_until ELSE ${now} END + ${costMs}`,
        })
        .where('send_pace.busy_until', '<=', now + roomMs),
    )
    .returning('busy_until')
    .executeTakeFirst();
  if (reserved) return 0;
  const { busy_until } = await trx
    .selectFrom('send_pace')
    .select('busy_until')
    .where('scope', '=', scope)
    .executeTakeFirstOrThrow();
  return Math.max(busy_until - roomMs - now, 1);
}

/** Forgets scopes idle since before `now` (housekeeping): a missing row means idle. */
export async function purgeIdlePaces(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('send_pace').where('busy_until', '<=', now.getTime()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
