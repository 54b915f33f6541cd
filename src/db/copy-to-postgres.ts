import { sql } from 'kysely';
import { type Db, openDatabase } from './database.ts';

/**
 * Moves a stopped SQLite service to PostgreSQL: every table of ours, row for row and ids kept,
 * into an empty PostgreSQL database, in one PostgreSQL transaction (all or nothing), then the
 * row counts of both sides are compared. Both are opened through `openDatabase`, so both are at
 * this version's migrations first. Kysely's own migration tables are left to the migrator.
 */

export interface TableCount {
  readonly table: string;
  readonly rows: number;
}

export class TargetNotEmptyError extends Error {
  constructor(tables: readonly string[]) {
    super(`the PostgreSQL database is not empty (rows in ${tables.join(', ')}): refusing to copy into it`);
    this.name = 'TargetNotEmptyError';
  }
}

const BATCH_ROWS = 500;

export async function copySqliteToPostgres(sqliteFile: string, postgresUrl: string): Promise<TableCount[]> {
  const source = await openDatabase(`sqlite:${sqliteFile}`);
  try {
    const target = await openDatabase(postgresUrl, { poolSize: 1 });
    try {
      const tables = await ourTables(source);
      const filled = await nonEmpty(target, tables);
      if (filled.length > 0) throw new TargetNotEmptyError(filled);
      await target.transaction().execute(async (trx) => {
        for (const table of tables) await copyTable(source, trx, table);
        await realignIdentities(trx);
      });
      return await compareCounts(source, target, tables);
    } finally {
      await target.destroy();
    }
  } finally {
    await source.destroy();
  }
}

/** Our tables, in creation order; Kysely's bookkeeping is not ours to copy. */
async function ourTables(source: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM sqlite_master
    WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'
    ORDER BY rowid`.execute(source);
  return rows.map((row) => row.name);
}

async function count(db: Db, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}

async function nonEmpty(target: Db, tables: readonly string[]): Promise<string[]> {
  const filled: string[] = [];
  for (const table of tables) if ((await count(target, table)) > 0) filled.push(table);
  return filled;
}

/** Pages by SQLite's rowid, so memory holds one batch whatever the table's size. */
async function copyTable(source: Db, target: Db, table: string): Promise<void> {
  let after = -Infinity;
  for (;;) {
    const { rows } = await sql<Record<string, unknown> & { _rowid: number }>`
      SELECT rowid AS _rowid, * FROM ${sql.table(table)}
      WHERE rowid > ${after === -Infinity ? Number.MIN_SAFE_INTEGER : after}
      ORDER BY rowid LIMIT ${BATCH_ROWS}`.execute(source);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!._rowid;
    const values = rows.map(({ _rowid: _, ...row }) => row);
    await target
      .insertInto(table as 'jobs')
      .values(values as never)
      .execute();
  }
}

/** Identity columns continue after the copied ids, or the next insert would collide. */
async function realignIdentities(trx: Db): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE is_identity = 'YES' AND table_schema = current_schema()`.execute(trx);
  for (const { table_name: table, column_name: column } of rows) {
    await sql`
      SELECT setval(pg_get_serial_sequence(${table}, ${column}), max_id, is_called)
      FROM (SELECT coalesce(max(${sql.ref(column)}), 1) AS max_id, count(*) > 0 AS is_called
            FROM ${sql.table(table)}) AS copied`.execute(trx);
  }
}

async function compareCounts(source: Db, target: Db, tables: readonly string[]): Promise<TableCount[]> {
  const counts: TableCount[] = [];
  for (const table of tables) {
    const [from, to] = [await count(source, table), await count(target, table)];
    if (from !== to)
      throw new Error(`${table}: ${from} rows in SQLite but ${to} in PostgreSQL after the copy`);
    counts.push({ table, rows: to });
  }
  return counts;
}
