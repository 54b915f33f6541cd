import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The chantiers the office already has (Nextcloud folders, earlier reports), read while a
  // technician waits: a cache, so that confirming a chantier never waits on Nextcloud.
  await db.schema
    .createTable('known_chantiers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('seen_at', 'integer', (c) => c.notNull())
    .execute();
}
