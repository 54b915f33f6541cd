import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Jobs whose effects must follow each other in id order (the messages of one Telegram chat)
  // join a lane at their first run, and leave it when they end (src/queue/job-store.ts, lanes).
  // Only those are indexed: an enqueue leaves the lane null and adds no index entry.
  await db.schema.alterTable('jobs').addColumn('lane', 'text').execute();
  await sql`CREATE INDEX jobs_lane ON jobs (lane, id) WHERE lane IS NOT NULL`.execute(db);
}
