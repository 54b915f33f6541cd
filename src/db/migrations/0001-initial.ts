import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
// Times are Unix milliseconds (INTEGER) so that SQLite and PostgreSQL compare them alike.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('processed_updates')
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('update_id', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('processed_updates_pk', ['slug', 'update_id'])
    .execute();
  await db.schema
    .createIndex('processed_updates_received_at')
    .on('processed_updates')
    .column('received_at')
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversations_pk', ['slug', 'chat_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .execute();
  await sql`CREATE INDEX jobs_claim ON jobs (state, priority DESC, run_at, id)`.execute(db);

  await db.schema
    .createTable('readiness_probe')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('checked_at', 'integer', (c) => c.notNull())
    .execute();
}
