import { type Kysely, sql } from 'kysely';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { up } from '../../src/db/migrations/0004-assistant.ts';

/**
 * A migrated in-memory database with the assistant's tables. Until 0004-assistant is registered
 * in the migration index, its `up` runs here on top of the others, as the Migrator would.
 */
export async function assistantDatabase(): Promise<Kysely<Database & AssistantDatabase>> {
  const db = await openDatabase('sqlite::memory:');
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'assistant_units'`.execute(db);
  if (rows.length === 0) await up(db as unknown as Kysely<unknown>);
  return db.$extendTables<AssistantDatabase>();
}
