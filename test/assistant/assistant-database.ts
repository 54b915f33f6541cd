import type { Kysely } from 'kysely';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import type { Database } from '../../src/db/schema.ts';
import { memoryDatabase } from '../support/database.ts';

/** A migrated, empty database (test/support/database.ts) typed with the assistant's tables. */
export async function assistantDatabase(): Promise<Kysely<Database & AssistantDatabase>> {
  return (await memoryDatabase()).$extendTables<AssistantDatabase>();
}
