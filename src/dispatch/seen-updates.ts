import type { Transaction } from 'kysely';
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
  const result = await trx
    .insertInto('processed_updates')
    .values({ slug, update_id: updateId, received_at: now.getTime() })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
