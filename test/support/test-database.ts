import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * Which database the tests of this run open: SQLite in memory (the `sqlite` project), or the
 * throwaway PostgreSQL cluster of test/support/postgres-global-setup.ts (the `postgres` project,
 * which runs every test file that opens a database; see vitest.config.ts).
 */
export type TestDialect = 'sqlite' | 'postgres';

export const testDialect: TestDialect = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

const created: string[] = [];
let fileDatabase: Promise<string> | undefined;

/**
 * The URL of a new, empty database for one test (the service migrates it when it opens it). On
 * PostgreSQL each test file gets a database of its own (files run in parallel), dropped when the
 * file ends (test/support/postgres-test-setup.ts), and each call a new schema in it, reached
 * through the connection's search_path: a schema costs a catalog row, a database a file copy.
 */
export async function freshDatabaseUrl(): Promise<string> {
  if (testDialect === 'sqlite') return 'sqlite::memory:';
  fileDatabase ??= createDatabase();
  const url = await fileDatabase;
  const schema = `t_${randomUUID().replaceAll('-', '')}`;
  await asSuperuser(url, `CREATE SCHEMA ${schema}`);
  return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** A new, empty database of the throwaway cluster. */
export async function createDatabase(): Promise<string> {
  const server = inject('postgresUrl');
  const name = `etm_${randomUUID().replaceAll('-', '')}`;
  await asSuperuser(server, `CREATE DATABASE ${name}`);
  created.push(name);
  return databaseUrl(server, name);
}

/** Drops every database this test file created, connections still open or not. */
export async function dropCreatedDatabases(): Promise<void> {
  const server = inject('postgresUrl');
  fileDatabase = undefined;
  for (const name of created.splice(0)) await asSuperuser(server, `DROP DATABASE ${name} WITH (FORCE)`);
}

export function databaseUrl(serverUrl: string, name: string): string {
  return serverUrl.replace(/\/[^/]*$/, `/${name}`);
}

export async function asSuperuser(url: string, statement: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
