import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reports')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    // Shown to people: FIN-0007, SAV-0042, MAT-0013.
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    // The conversation's key for the draft that became this report: one report per draft.
    .addColumn('source_key', 'text', (c) => c.notNull().unique())
    .addColumn('chat_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('technician_name', 'text', (c) => c.notNull())
    .addColumn('chantier', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('media', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('confirmed_at', 'integer')
    .addUniqueConstraint('reports_kind_seq', ['kind', 'seq'])
    .execute();
  await sql`CREATE INDEX reports_created_at ON reports (created_at)`.execute(db);

  // A group upgraded to a supergroup gets a new id (Telegram's migrate_to_chat_id): messages
  // addressed to the configured id go to the new one from then on.
  await db.schema
    .createTable('chat_migrations')
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('old_chat_id', 'integer', (c) => c.notNull())
    .addColumn('new_chat_id', 'integer', (c) => c.notNull())
    .addColumn('migrated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_migrations_pk', ['slug', 'old_chat_id'])
    .execute();
}
