import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
// What the background work of a report decided and achieved: where its photos go (planned once,
// so retries reuse the same names), its Deck card, and what the technician was told.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('reports').addColumn('folder', 'text').execute();
  await db.schema.alterTable('reports').addColumn('archive_plan', 'text').execute();
  await db.schema.alterTable('reports').addColumn('deck_card_id', 'integer').execute();
  await db.schema.alterTable('reports').addColumn('deck_card_url', 'text').execute();
  await db.schema
    .alterTable('reports')
    .addColumn('problems', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('reports').addColumn('delay_notified_at', 'integer').execute();
}
