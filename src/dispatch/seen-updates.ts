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
 * Keeps the synchronous `text` an update was answered with on its seen mark, in the transaction
 * that marked it: if our 200 never reaches the gateway (a time-out, a crash between the commit and
 * the response), Telegram sends the update again and `storedReply` gives the same answer, which is
 * stored nowhere else. Only for updates that have one: the others run no statement more.
 */
export async function storeReply(
  trx: Transaction<Database>,
  slug: string,
  updateId: number,
  reply: string,
): Promise<void> {
  await updateReply(trx, { slug, updateId, reply });
}

const updateReply = compiledOnce((db, args: { slug: string; updateId: number; reply: string }) =>
  db
    .updateTable('processed_updates')
    .set({ reply: args.reply })
    .where('slug', '=', args.slug)
    .where('update_id', '=', args.updateId),
);

/** The synchronous answer stored for an update already seen (`storeReply`); undefined for none. */
export async function storedReply(
  trx: Transaction<Database>,
  slug: string,
  updateId: number,
): Promise<string | undefined> {
  const { rows } = await selectReply(trx, { slug, updateId });
  return rows[0]?.reply ?? undefined;
}

const selectReply = compiledOnce((db, args: { slug: string; updateId: number }) =>
  db
    .selectFrom('processed_updates')
    .select('reply')
    .where('slug', '=', args.slug)
    .where('update_id', '=', args.updateId),
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
