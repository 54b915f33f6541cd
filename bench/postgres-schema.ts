import pg from 'pg';

/**
 * Runs `work` with the URL of a new, empty schema of the PostgreSQL database `url` names (the
 * connection's search_path, https://www.postgresql.org/docs/15/ddl-schemas.html#DDL-SCHEMAS-PATH),
 * dropped afterwards: a measurement that needs an empty database (the worker would otherwise run
 * the jobs an earlier measurement left) without asking for a second database.
 */
export async function withFreshSchema<R>(url: string, work: (schemaUrl: string) => Promise<R>): Promise<R> {
  const schema = `bench_${Date.now()}_${process.pid}`;
  await statement(url, `CREATE SCHEMA ${schema}`);
  try {
    const separator = url.includes('?') ? '&' : '?';
    return await work(`${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`);
  } finally {
    await statement(url, `DROP SCHEMA ${schema} CASCADE`);
  }
}

async function statement(url: string, text: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
