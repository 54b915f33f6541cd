import { type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * Runs `work` while no other replica runs work under the same name: a PostgreSQL session-level
 * advisory lock (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS), held on
 * one pooled connection outside any transaction, so the work may wait on the network. A replica
 * that dies loses its session and so its lock: nothing stays stuck. On SQLite there is one
 * process (the chart's Recreate strategy), whose own callers already serialise such work.
 */
export async function withClusterLock<T, R>(db: Kysely<T>, name: string, work: () => Promise<R>): Promise<R> {
  if (!isPostgres(db)) return work();
  return db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(hashtext(${name}))`.execute(connection);
    try {
      return await work();
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${name}))`.execute(connection);
    }
  });
}

/**
 * Runs `work` unless another replica runs work under the same name right now, in which case it
 * returns undefined at once: for periodic work that one replica doing is enough (housekeeping).
 * The same session-level advisory lock as withClusterLock, taken with pg_try_advisory_lock.
 */
export async function ifClusterLockFree<T, R>(
  db: Kysely<T>,
  name: string,
  work: () => Promise<R>,
): Promise<R | undefined> {
  if (!isPostgres(db)) return work();
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{
      locked: boolean;
    }>`SELECT pg_try_advisory_lock(hashtext(${name})) AS locked`.execute(connection);
    if (rows[0]?.locked !== true) return undefined;
    try {
      return await work();
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${name}))`.execute(connection);
    }
  });
}

/**
 * Serialises, until the caller's transaction ends, the transactions of every replica that take
 * the same name: for a read-then-write that a unique key alone would turn into a failed update.
 * A no-op on SQLite, where one write transaction runs at a time.
 */
export async function lockForTransaction(trx: QueryExecutorProvider, name: string): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`.execute(trx);
}
