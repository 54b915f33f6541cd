import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
// What the job engine needs to guarantee one visible effect per job (src/queue/):
// - a token per claim, so only the run that claimed a job can renew, record or finish it;
// - the steps a job already delivered, so a retry resumes after the last one;
// - dependencies: a job waits until every job it depends on has ended (done or dead);
// - outgoing limits a remote imposed (Telegram's 429 `retry_after`), shared by every worker.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('lock_token', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('progress', 'text').execute();
  await db.schema
    .alterTable('jobs')
    .addColumn('waiting_for', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('job_dependencies')
    .addColumn('job_id', 'integer', (c) => c.notNull())
    .addColumn('depends_on', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_dependencies_pk', ['job_id', 'depends_on'])
    .execute();
  await db.schema
    .createIndex('job_dependencies_depends_on')
    .on('job_dependencies')
    .column('depends_on')
    .execute();

  await db.schema
    .createTable('send_limits')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('not_before', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
}
