import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Nextcloud refused the app password: one row while every Nextcloud job waits. It holds only a
  // fingerprint of the credentials it was opened for, so a process configured with another
  // password knows the office replaced it, and calls Nextcloud again.
  await db.schema
    .createTable('nextcloud_breaker')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'integer', (c) => c.notNull())
    .execute();
}
