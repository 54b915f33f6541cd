import SQLite from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import { describe, expect, it } from 'vitest';
import * as assistantMigration from '../../src/db/migrations/0004-assistant.ts';
import { migrations } from '../../src/db/migrations/index.ts';

const NAME = '0004-assistant';
// The migrations shipped before it (later ones run after it, in name order).
const shipped = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < NAME));

async function migrate(db: Kysely<unknown>, set: Record<string, Migration>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => set } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}

describe('migration 0004-assistant', () => {
  it('applies on a database that already runs every shipped migration, in order', async () => {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      await migrate(db, shipped);
      await migrate(db, { ...shipped, [NAME]: assistantMigration });
      const { rows } = await sql<{ name: string }>`
        SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'assistant_%' ORDER BY name`.execute(
        db,
      );
      expect(rows.map((row) => row.name)).toEqual(['assistant_answers', 'assistant_units']);
      // Idempotent, as every start runs the migrator.
      await migrate(db, { ...shipped, [NAME]: assistantMigration });
    } finally {
      await db.destroy();
    }
  });
});
