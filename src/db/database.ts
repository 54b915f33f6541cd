import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { runsDirectly } from './compiled-query.ts';
import { isPostgres } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import { createPostgres, isPostgresUrl, type PostgresOptions } from './postgres.ts';
import { PostgresColumnTypes } from './postgres-types.ts';
import type { Database } from './schema.ts';
import { enableGroupCommit } from './group-commit.ts';
import { withStatementCache } from './statement-cache.ts';

export type Db = Kysely<Database>;

export type DatabaseOptions = Partial<PostgresOptions>;

const DEFAULT_POOL_SIZE = 10;

/**
 * Opens the database a URL names and runs pending migrations: `sqlite:<path>` (the embedded
 * default, one process) or `postgres://…` (several replicas). The dialect is chosen here only;
 * everything above works on a `Db` either way.
 */
export async function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Promise<Db> {
  const db = isPostgresUrl(databaseUrl)
    ? createPostgres(databaseUrl, {
        poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
        onPoolError: options.onPoolError ?? (() => undefined),
      })
    : openSqlite(databaseUrl);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // One connection, one fsync per commit: updates share commits (src/db/group-commit.ts). A
  // PostgreSQL pool commits concurrently and keeps a transaction per update.
  if (!isPostgres(db)) enableGroupCommit(db);
  return db;
}

function openSqlite(databaseUrl: string): Db {
  const path = sqlitePath(databaseUrl);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // Our 200 tells Telegram never to resend: the record must survive a power cut.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  runsDirectly(db, sqlite);
  return db;
}

export function sqlitePath(databaseUrl: string): string {
  if (!databaseUrl.startsWith('sqlite:'))
    throw new Error('only sqlite: and postgres:// database URLs are supported');
  return databaseUrl.slice('sqlite:'.length);
}

/**
 * Applies pending migrations. On PostgreSQL, Kysely's migrator holds an advisory lock
 * (pg_advisory_lock in its PostgresAdapter) around them, so replicas starting together apply
 * each migration once; the others wait, then find nothing to do.
 */
async function migrate(db: Db): Promise<void> {
  const postgres = isPostgres(db);
  const migrator = new Migrator({
    db: postgres ? db.withPlugin(new PostgresColumnTypes()) : db,
    provider: { getMigrations: async () => migrations },
    // Kysely looks for its own tables in every schema; ours is the connection's search_path.
    ...(postgres ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}

async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  if (!rows[0]?.schema) throw new Error('the PostgreSQL search_path names no existing schema');
  return rows[0].schema;
}
