import { PostgresAdapter, type QueryExecutorProvider } from 'kysely';

/**
 * Which engine a Kysely instance (or transaction) talks to, for the few statements that must
 * differ: row locks and advisory locks exist on PostgreSQL only, where several replicas share
 * the database; on SQLite one writer at a time already serialises everything.
 */
export function isPostgres(db: QueryExecutorProvider): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
