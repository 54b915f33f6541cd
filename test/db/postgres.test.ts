import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { createDatabase, freshDatabaseUrl, testDialect } from '../support/test-database.ts';

// What only PostgreSQL has: the SQLite side is test/db/database.test.ts.
describe.runIf(testDialect === 'postgres')('openDatabase on PostgreSQL', () => {
  const opened: Db[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
  });
  const open = async (url: string) => {
    const db = await openDatabase(url, { poolSize: 2 });
    opened.push(db);
    return db;
  };

  it('applies each migration once when two replicas start together', async () => {
    const url = await createDatabase();
    const [first, second] = await Promise.all([open(url), open(url), open(url)]);
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      first,
    );
    expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
    expect(await second.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('stores Unix-ms times and Telegram ids beyond 32 bits, and reads them back as numbers', async () => {
    const db = await open(await freshDatabaseUrl());
    const supergroup = -1_001_234_567_890;
    const at = Date.parse('2026-03-25T14:30:00Z');
    await db
      .insertInto('chat_migrations')
      .values({ slug: 'etm-terrain', old_chat_id: -42, new_chat_id: supergroup, migrated_at: at })
      .execute();
    const row = await db.selectFrom('chat_migrations').selectAll().executeTakeFirstOrThrow();
    expect(row).toEqual({ slug: 'etm-terrain', old_chat_id: -42, new_chat_id: supergroup, migrated_at: at });
    const count = await db
      .selectFrom('chat_migrations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('numbers rows itself, and accepts the ids a copy from SQLite brings', async () => {
    const db = await open(await freshDatabaseUrl());
    const values = { key: 'k', question: 'q', kind: 'lead', text: 't', created_at: 0 };
    await db
      .insertInto('assistant_answers')
      .values({ ...values, id: 41 })
      .execute();
    const row = await db
      .insertInto('assistant_answers')
      .values({ ...values, key: 'k2' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(row.id).toBeGreaterThan(0);
    await db
      .insertInto('assistant_units')
      .values({
        id: 'u',
        path: 'p',
        unit: 'u',
        text_hash: 'h',
        embed_model: 'm',
        dimensions: 2,
        vector: Buffer.from([1, 2, 3]),
        embedded_at: 0,
      })
      .execute();
    const unit = await db.selectFrom('assistant_units').select('vector').executeTakeFirstOrThrow();
    expect(Buffer.from(unit.vector)).toEqual(Buffer.from([1, 2, 3]));
  });
});
