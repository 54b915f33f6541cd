import { type DialectAdapter, type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import { isPostgres } from './dialect.ts';

/** A PostgreSQL connection taken for a lock, outside the pool the locked work queries. */
export interface LockConnection {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error): void;
}

/** Where each PostgreSQL database takes its lock connections, by its `Kysely`'s adapter. */
const lockConnections = new WeakMap<DialectAdapter, () => Promise<LockConnection>>();

/**
 * Cluster locks on `db` hold connections from `connect`, never from `db`'s own pool: the locked
 * work queries `db`, and a lock holding one of its pool's connections while the work waits for
 * another froze a replica whose pool was small (all of it held by locks), for good. Set by
 * the opener (src/db/postgres.ts).
 */
export function takeLocksOn<T>(db: Kysely<T>, connect: () => Promise<LockConnection>): void {
  lockConnections.set(db.getExecutor().adapter, connect);
}

/**
 * Runs `work` while no other replica runs work under the same name: a PostgreSQL session-level
 * advisory lock (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS), held on
 * a lock connection outside any transaction, so the work may wait on the network. A replica that
 * dies loses its session and so its lock: nothing stays stuck. On SQLite there is one process (the
 * chart's Recreate strategy), whose own callers already serialise such work.
 */
export async function withClusterLock<T, R>(db: Kysely<T>, name: string, work: () => Promise<R>): Promise<R> {
  if (!isPostgres(db)) return work();
  return (await holding(db, name, 'pg_advisory_lock', work)) as R;
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
  return holding(db, name, 'pg_try_advisory_lock', work);
}

async function holding<T, R>(
  db: Kysely<T>,
  name: string,
  take: 'pg_advisory_lock' | 'pg_try_advisory_lock',
  work: () => Promise<R>,
): Promise<R | undefined> {
  const connect = lockConnections.get(db.getExecutor().adapter);
  if (!connect) throw new Error('cluster lock: this PostgreSQL database was not opened by createPostgres');
  const connection = await connect();
  let broken: Error | undefined;
  try {
    const { rows } = await connection.query(`SELECT ${take}(hashtext($1)) AS locked`, [name]);
    if ((rows[0] as { locked: unknown } | undefined)?.locked === false) return undefined;
    try {
      return await work();
    } finally {
      await connection.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch((error: unknown) => {
        // The session is gone, and its lock with it: the connection must not go back to the pool.
        broken = error instanceof Error ? error : new Error(String(error));
      });
    }
  } finally {
    connection.release(broken);
  }
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
