import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase, sqlitePath } from '../../src/db/database.ts';
import { migrations } from '../../src/db/migrations/index.ts';

let dir: string;
const opened: Db[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'etm-db-test-'));
});
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function open(url: string): Promise<Db> {
  const db = await openDatabase(url);
  opened.push(db);
  return db;
}

/** The value a `PRAGMA name` query reads back (its column is not always named after it). */
async function pragma(db: Db, name: string): Promise<unknown> {
  const { rows } = await sql<Record<string, unknown>>`PRAGMA ${sql.raw(name)}`.execute(db);
  expect(rows).toHaveLength(1);
  return Object.values(rows[0]!)[0];
}

async function tableNames(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`.execute(db);
  return rows.map((row) => row.name);
}

describe('openDatabase', () => {
  it('creates the missing folder and the file, and applies every migration', async () => {
    const file = join(dir, 'nested', 'deeper', 'etm.db');
    const db = await open(`sqlite:${file}`);
    expect(existsSync(file)).toBe(true);
    expect(await tableNames(db)).toEqual(
      expect.arrayContaining(['processed_updates', 'conversations', 'jobs', 'readiness_probe']),
    );
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
    expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
  });

  it('opens the same file again without applying anything twice and keeps the data', async () => {
    const url = `sqlite:${join(dir, 'etm.db')}`;
    const first = await open(url);
    await first
      .insertInto('processed_updates')
      .values({ slug: 'etm-terrain', update_id: 1, received_at: 0 })
      .execute();
    await first.destroy();
    opened.splice(opened.indexOf(first), 1);

    const second = await open(url);
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(second);
    expect(applied.rows).toHaveLength(Object.keys(migrations).length);
    const kept = await second.selectFrom('processed_updates').selectAll().execute();
    expect(kept).toEqual([{ slug: 'etm-terrain', update_id: 1, received_at: 0, reply: null }]);
  });

  it('lets two handles share one file, as during a restart', async () => {
    const url = `sqlite:${join(dir, 'etm.db')}`;
    const first = await open(url);
    const second = await open(url);
    await first
      .insertInto('processed_updates')
      .values({ slug: 'etm-terrain', update_id: 7, received_at: 0 })
      .execute();
    const seen = await second.selectFrom('processed_updates').select('update_id').execute();
    expect(seen).toEqual([{ update_id: 7 }]);
  });

  it('sets WAL, full synchronous writes, a busy timeout and foreign keys', async () => {
    const db = await open(`sqlite:${join(dir, 'etm.db')}`);
    expect(await pragma(db, 'journal_mode')).toBe('wal');
    expect(await pragma(db, 'synchronous')).toBe(2); // FULL: a 200 must survive a power cut
    expect(await pragma(db, 'foreign_keys')).toBe(1);
    const busyTimeout = await pragma(db, 'busy_timeout');
    expect(typeof busyTimeout).toBe('number');
    expect(busyTimeout).toBeGreaterThan(0);
  });

  it('opens an in-memory database with the schema', async () => {
    const db = await open('sqlite::memory:');
    expect(await tableNames(db)).toContain('jobs');
  });

  it.each(['mysql://db/etm', './data/etm.db', 'SQLITE:./x.db', 'postgres:/etm'])(
    'refuses the URL %s',
    async (url) => {
      await expect(openDatabase(url)).rejects.toThrow(
        'only sqlite: and postgres:// database URLs are supported',
      );
    },
  );
});

describe('sqlitePath', () => {
  it('takes the path after sqlite:', () => {
    expect(sqlitePath('sqlite:./data/etm-terrain.db')).toBe('./data/etm-terrain.db');
    expect(sqlitePath('sqlite::memory:')).toBe(':memory:');
  });
});
