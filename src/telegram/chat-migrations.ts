import type { Db } from '../db/database.ts';

/** The chat id to send to: the configured one, or where Telegram said that group moved. */
export async function currentChatId(db: Db, slug: string, chatId: number): Promise<number> {
  const row = await db
    .selectFrom('chat_migrations')
    .select('new_chat_id')
    .where('slug', '=', slug)
    .where('old_chat_id', '=', chatId)
    .executeTakeFirst();
  return row?.new_chat_id ?? chatId;
}

export async function recordChatMigration(
  db: Db,
  slug: string,
  oldId: number,
  newId: number,
  now: Date,
): Promise<void> {
  await db
    .insertInto('chat_migrations')
    .values({ slug, old_chat_id: oldId, new_chat_id: newId, migrated_at: now.getTime() })
    .onConflict((oc) =>
      oc.columns(['slug', 'old_chat_id']).doUpdateSet({ new_chat_id: newId, migrated_at: now.getTime() }),
    )
    .execute();
}
