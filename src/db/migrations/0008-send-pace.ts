import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The outgoing pace of each Telegram chat and of each bot as a whole, shared by every worker
  // and replica (src/telegram/send-pace.ts): the time (Unix ms) until which the messages already
  // sent still count against the pace. A row whose time has passed means "idle" and is purged.
  await db.schema
    .createTable('send_pace')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('busy_until', 'integer', (c) => c.notNull())
    .execute();
}
