import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { takeLocksOn } from './cluster-lock.ts';
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
  // Cluster locks hold a session each while their work queries the main pool (src/db/cluster-lock.ts).
  const locks = new pg.Pool({ connectionString: url, max: LOCK_CONNECTIONS });
  locks.on('error', options.onPoolError);
  // Kysely's pool, ending the lock connections with it (`options` is what Kysely reads, with
  // `controlClient`, to cancel a query: node_modules/kysely/dist/dialect/postgres/postgres-driver.js).
  const both = {
    options: pool.options,
    connect: () => pool.connect(),
    end: async () => {
      await Promise.all([pool.end(), locks.end()]);
    },
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: both, controlClient: pg.Client }) });
  takeLocksOn(db, () => locks.connect());
  return db;
}

/**
 * Connections each process keeps for cluster locks, beside the pool: locked work is rare
 * (housekeeping, the Deck board, the chantiers' refresh, the assistant's sync), and a lock taker
 * that finds them busy waits for one, as it would wait for the lock itself.
 */
export const LOCK_CONNECTIONS = 2;

function numericInt8(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  return types;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}
