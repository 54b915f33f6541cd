import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export interface PostgresOptions {
  /** Connections this process keeps open; the server's max_connections bounds replicas × this. */
  readonly poolSize: number;
  /** An idle connection broke (server restart, network): pg's pool drops it and reconnects. */
  readonly onPoolError: (error: Error) => void;
}

/**
 * A Kysely instance over a node-postgres pool (https://node-postgres.com/apis/pool). Our bigint
 * columns hold Unix ms and Telegram ids, all below 2^53: they are read as numbers, as SQLite
 * gives them, instead of pg's default strings (https://node-postgres.com/features/types).
 */
export function createPostgres(url: string, options: PostgresOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    types: numericInt8(),
  });
  pool.on('error', options.onPoolError);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function numericInt8(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  return types;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}
