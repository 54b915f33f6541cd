import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copySqliteToPostgres, TargetNotEmptyError } from '../../src/db/copy-to-postgres.ts';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { claimNextJob } from '../../src/queue/job-store.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

const NOW = new Date('2026-03-25T14:30:00Z');

describe.runIf(testDialect === 'postgres')('copying a SQLite service into PostgreSQL', () => {
  let dir: string;
  let sqliteFile: string;
  const opened: Db[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'etm-copy-'));
    sqliteFile = join(dir, 'etm.db');
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (url: string) => {
    const db = await openDatabase(url, { poolSize: 1 });
    opened.push(db);
    return db;
  };

  /** A service's history: jobs in every state, a report, dedupe marks, an assistant vector. */
  async function fillSqlite(): Promise<void> {
    const db = await openDatabase(`sqlite:${sqliteFile}`);
    for (let i = 1; i <= 3; i++) {
      await enqueue(db, assistantJobs['assistant.sync'], { idempotencyKey: `sync-${i}`, payload: {} }, NOW);
      await db
        .insertInto('processed_updates')
        .values({ slug: 'etm-terrain', update_id: 1000 + i, received_at: NOW.getTime() })
        .execute();
    }
    await claimNextJob(db, { workerId: 'w', now: NOW, lockMs: 60_000, types: ['assistant.sync'] });
    await db.deleteFrom('jobs').where('idempotency_key', '=', 'sync-1').execute();
    await db
      .insertInto('chat_migrations')
      .values({
        slug: 'etm-terrain',
        old_chat_id: -42,
        new_chat_id: -1_001_234_567_890,
        migrated_at: NOW.getTime(),
      })
      .execute();
    await db
      .insertInto('assistant_units')
      .values({
        id: 'u1',
        path: 'p.md',
        unit: 'u',
        text_hash: 'h',
        embed_model: 'm',
        dimensions: 2,
        vector: Buffer.from([9, 8, 7, 6]),
        embedded_at: 1,
      })
      .execute();
    await db.destroy();
  }

  it('copies every row with its ids, and new rows continue after them', async () => {
    await fillSqlite();
    const url = await freshDatabaseUrl();
    const counts = await copySqliteToPostgres(sqliteFile, url);
    expect(counts).toEqual(
      expect.arrayContaining([
        { table: 'jobs', rows: 2 },
        { table: 'processed_updates', rows: 3 },
        { table: 'chat_migrations', rows: 1 },
        { table: 'assistant_units', rows: 1 },
        { table: 'reports', rows: 0 },
      ]),
    );
    const source = await open(`sqlite:${sqliteFile}`);
    const target = await open(url);
    const rows = (db: Db) => db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(await rows(target)).toEqual(await rows(source));
    const unit = await target.selectFrom('assistant_units').select('vector').executeTakeFirstOrThrow();
    expect(Buffer.from(unit.vector)).toEqual(Buffer.from([9, 8, 7, 6]));
    expect(await target.selectFrom('chat_migrations').select('new_chat_id').executeTakeFirst()).toEqual({
      new_chat_id: -1_001_234_567_890,
    });

    // The ids 2 and 3 came from SQLite (1 was deleted there): the next job is numbered 4.
    await enqueue(
      target,
      assistantJobs['assistant.sync'],
      { idempotencyKey: 'after-move', payload: {} },
      NOW,
    );
    const added = await target
      .selectFrom('jobs')
      .select('id')
      .where('idempotency_key', '=', 'after-move')
      .executeTakeFirstOrThrow();
    expect(added.id).toBe(4);
  });

  it('refuses a database that already holds rows, and copies nothing', async () => {
    await fillSqlite();
    const url = await freshDatabaseUrl();
    const target = await open(url);
    await target
      .insertInto('processed_updates')
      .values({ slug: 'other', update_id: 1, received_at: 0 })
      .execute();
    await expect(copySqliteToPostgres(sqliteFile, url)).rejects.toThrow(TargetNotEmptyError);
    expect(await target.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('runs as a command that prints the counts, and exits 1 on a non-empty target', async () => {
    await fillSqlite();
    const url = await freshDatabaseUrl();
    const run = () =>
      spawnSync(process.execPath, ['scripts/sqlite-to-postgres.ts', sqliteFile, url], { encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^jobs\s+2$/m);
    const second = run();
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('not empty');
    expect(existsSync(sqliteFile)).toBe(true);
  });
});
