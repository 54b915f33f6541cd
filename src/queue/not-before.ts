import type { Db } from '../db/database.ts';

/**
 * "Not before T" holds a remote imposed on a scope (Telegram's 429 `retry_after` on one chat or
 * on the whole bot): rows in the database, so they survive a restart and every worker (and
 * replica) sees them. A job that finds its scope held postpones itself without using an attempt.
 */

/** Holds `scope` until `until` (Unix ms); a longer hold already recorded stays. */
export async function holdUntil(db: Db, scope: string, until: Date, reason: string): Promise<void> {
  await db
    .insertInto('send_limits')
    .values({ scope, not_before: until.getTime(), reason })
    .onConflict((oc) =>
      oc
        .column('scope')
        .doUpdateSet({ not_before: until.getTime(), reason })
        .where('send_limits.not_before', '<', until.getTime()),
    )
    .execute();
}

/** The latest hold among `scopes` still in force at `now`, if any. */
export async function heldUntil(
  db: Db,
  scopes: readonly string[],
  now: Date,
): Promise<{ until: number; reason: string } | undefined> {
  if (scopes.length === 0) return undefined;
  const row = await db
    .selectFrom('send_limits')
    .select(['not_before', 'reason'])
    .where('scope', 'in', scopes)
    .where('not_before', '>', now.getTime())
    .orderBy('not_before', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { until: row.not_before, reason: row.reason };
}

/** Forgets holds that ended (housekeeping). */
export async function purgeEndedHolds(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('send_limits')
    .where('not_before', '<=', now.getTime())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
