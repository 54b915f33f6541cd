/**
 * Copies a stopped SQLite service's database into an empty PostgreSQL database, then compares
 * the row counts (docs/cluster-admin.md, "Moving from SQLite to two replicas").
 *
 *   node dist/sqlite-to-postgres.js <sqlite file> <postgres url>     in the image
 *   node scripts/sqlite-to-postgres.ts <sqlite file> <postgres url>  from a checkout
 *
 * Refuses a PostgreSQL database that already holds rows; copies all or nothing.
 */
import { copySqliteToPostgres } from './db/copy-to-postgres.ts';

const [sqliteFile, postgresUrl] = process.argv.slice(2);
if (!sqliteFile || !postgresUrl) {
  console.error('usage: node scripts/sqlite-to-postgres.ts <sqlite file> <postgres url>');
  process.exit(2);
}
try {
  const counts = await copySqliteToPostgres(sqliteFile, postgresUrl);
  for (const { table, rows } of counts) console.log(`${table.padEnd(24)} ${rows}`);
  console.log('Copied; the row counts of both databases match.');
} catch (error) {
  console.error(`Nothing was copied: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
