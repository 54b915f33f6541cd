import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The SAV assistant's known fixes with their embeddings: a cache of the Wiki_SAV notes, rebuilt
  // by a sync; vectors are only valid for the model, prefixes and dimension they were made with.
  await db.schema
    .createTable('assistant_units')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('embed_model', 'text', (c) => c.notNull())
    .addColumn('dimensions', 'integer', (c) => c.notNull())
    .addColumn('vector', 'blob', (c) => c.notNull())
    .addColumn('embedded_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('assistant_answers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('top_unit_id', 'text')
    .addColumn('top_score', 'real')
    .addColumn('second_score', 'real')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('feedback', 'text')
    .addColumn('feedback_at', 'integer')
    .execute();
}
