import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { enableGroupCommit } from './group-commit.ts';
import { withStatementCache } from './statement-cache.ts';

export type Db = Kysely<Database>;

/** Opens the embedded SQLite database named by a `sqlite:<path>` URL and runs pending migrations. */
export async function openDatabase(databaseUrl: string): Promise<Db> {
  const path = sqlitePath(databaseUrl);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // Our 200 tells Telegram never to resend: the record must survive a power cut.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // One connection, one fsync per commit: updates share commits (src/db/group-commit.ts).
  enableGroupCommit(db);
  return db;
}

export function sqlitePath(databaseUrl: string): string {
  if (!databaseUrl.startsWith('sqlite:')) throw new Error('only sqlite: database URLs are supported');
  return databaseUrl.slice('sqlite:'.length);
}

async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}
