import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The plain text an update was answered with through the gateway's synchronous `text`, kept
  // with its seen mark: when Telegram sends the update again because our 200 never reached the
  // gateway, the same answer goes back (src/dispatch/seen-updates.ts). Null when the answer was
  // empty (or went out as a Bot API job, which its idempotency key already keeps).
  await db.schema.alterTable('processed_updates').addColumn('reply', 'text').execute();
}
