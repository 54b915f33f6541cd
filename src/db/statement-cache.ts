import type { Database as BetterSqlite, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** How many distinct SQL texts keep their prepared statement: the hot path uses a dozen. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * The better-sqlite3 database as Kysely's SqliteDialect sees it, with each SQL text prepared once.
 *
 * Kysely's SQLite driver calls `prepare` for every query it runs (node_modules/kysely/dist/dialect/
 * sqlite/sqlite-driver.js), and preparing is SQLite parsing and planning the SQL again: a fifth of
 * the service's time per update. Kysely compiles a query with its values as parameters, so one
 * query shape is one SQL text whatever the values, and its statement can be run again.
 *
 * Bounded, least recently used first out, so that SQL built from varying shapes (an IN list of
 * varying length) cannot grow it forever. A statement still being iterated (a streamed select) is
 * busy: a second, uncached one is prepared for the query that needs it meanwhile.
 */
export function withStatementCache(sqlite: BetterSqlite, capacity = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (sql: string): SqliteStatement => {
      const cached = statements.get(sql);
      if (cached) {
        if (cached.busy) return sqlite.prepare(sql);
        // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > capacity) statements.delete(statements.keys().next().value!);
      return statement;
    },
  };
}
