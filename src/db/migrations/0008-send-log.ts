import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Telegram messages sent in the last minute, per scope (a chat, a bot): the outgoing limits
  // count them, for every worker and replica alike (src/telegram/send-log.ts). Older rows count
  // for nothing and are purged.
  await db.schema
    .createTable('send_log')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'integer', (c) => c.notNull())
    .addColumn('messages', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('send_log_by_scope').on('send_log').columns(['scope', 'sent_at']).execute();
}
