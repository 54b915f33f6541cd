import type { Transaction } from 'kysely';
import { compiledOnce } from '../db/compiled-query.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

/**
 * Marks an update as handled; false when it already was (Telegram re-sends on any non-2xx or
 * time-out). Update ids become random after a week of silence, so we keep a set, not a watermark.
 */
export async function markUpdateSeen(
  trx: Transaction<Database>,
  slug: string,
  updateId: number,
  now: Date,
): Promise<boolean> {
  const result = await insertSeen(trx, { slug, updateId, receivedAt: now.getTime() });
  return Number(result.numAffectedRows ?? 0n) === 1;
}

const insertSeen = compiledOnce((db, args: { slug: string; updateId: number; receivedAt: number }) =>
  db
    .insertInto('processed_updates')
    .values({ slug: args.slug, update_id: args.updateId, received_at: args.receivedAt })
    .onConflict((oc) => oc.doNothing()),
);

/**
 * How long an update id is remembered. Telegram re-sends an unanswered update for about a day;
 * after a week without updates it starts numbering at random, so a mark kept much longer could
 * swallow a new update that happens to reuse an old id.
 */
export const SEEN_UPDATE_RETENTION_MS = 2 * 24 * 60 * 60 * 1000;

/** Forgets update ids received before the retention window; returns how many. */
export async function purgeSeenUpdates(
  db: Db,
  now: Date,
  retentionMs = SEEN_UPDATE_RETENTION_MS,
): Promise<number> {
  const result = await db
    .deleteFrom('processed_updates')
    .where('received_at', '<', now.getTime() - retentionMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
