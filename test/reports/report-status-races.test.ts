import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import type { JobContext } from '../../src/queue/job-handler.ts';
import { delayNoticeHandler } from '../../src/reports/jobs/delay-notice.ts';
import { announceOnHoldHandler, notifyReportHandler } from '../../src/reports/jobs/notify-report.ts';
import type { ReportDeps } from '../../src/reports/report-deps.ts';
import { reportJobs } from '../../src/reports/report-jobs.ts';
import { archiveOnHold } from '../../src/reports/report-messages.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

/**
 * Report jobs of one report run by two workers (two replicas) on PostgreSQL, READ COMMITTED: each
 * handler gets its own Db on one database. A third connection holds the report's row, as an
 * upload changing the plan does (src/reports/report-store.ts, changeArchivePlan), so that both
 * handlers have started before either writes; it lets go once both wait for a lock. SQLite runs
 * one transaction at a time: nothing can interleave there.
 */

const opened: Db[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
});

const SAV_GROUP = -1002222222222;
const TECHNICIAN_CHAT = 42;

function depsOn(db: Db): ReportDeps {
  return {
    db,
    config: {
      reportTimezone: 'Europe/Paris',
      bots: [{ slug: 'etm', groups: { sav: SAV_GROUP } }],
    } as never,
    archive: undefined,
    cards: undefined,
    telegram: new Map([['etm', { client: {} as never }]]),
  };
}

/**
 * Waits (10 s at most) until `n` sessions of this database wait for a lock
 * (https://www.postgresql.org/docs/15/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW).
 */
async function waitersOnLock(db: Db, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { rows } = await sql<{ c: number }>`SELECT count(*)::int AS c FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND datname = current_database()`.execute(db);
    if ((rows[0]?.c ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${n} sessions wait for a lock`);
}

/** A received SAV report, its notify and confirmed milestone queued, its row held by a writer. */
async function setUp(now: Date, createdAt: number) {
  const url = await freshDatabaseUrl();
  const a = await openDatabase(url, { poolSize: 3 });
  const b = await openDatabase(url, { poolSize: 3 });
  const holder = await openDatabase(url, { poolSize: 2 });
  opened.push(a, b, holder);
  const { id } = await a
    .insertInto('reports')
    .values({
      public_id: 'SAV-0001',
      kind: 'sav',
      seq: 1,
      slug: 'etm',
      source_key: 'etm:k1',
      chat_id: TECHNICIAN_CHAT,
      user_id: TECHNICIAN_CHAT,
      technician_name: 'Luc',
      chantier: 'Müller',
      text: 'fuite',
      items: '[]',
      media: '[]',
      status: 'received',
      created_at: createdAt,
      updated_at: now.getTime(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await a.transaction().execute(async (trx) => {
    await enqueue(
      trx,
      reportJobs['report.notify'],
      { idempotencyKey: `report:${id}:notify`, payload: { reportId: id } },
      now,
    );
    await enqueue(
      trx,
      reportJobs['report.confirmed'],
      {
        idempotencyKey: `report:${id}:confirmed`,
        payload: { reportId: id },
        after: [`report:${id}:notify`],
      },
      now,
    );
  });
  const notifyCtx = {
    now,
    job: { idempotency_key: `report:${id}:notify` },
    dependencies: async () => [
      { type: 'report.process', state: 'done', idempotencyKey: `report:${id}:process`, lastError: null },
    ],
  } as unknown as JobContext;
  const plainCtx = { now } as unknown as JobContext;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const rowLocked = new Promise<void>((r) => (locked = r));
  const held = holder.transaction().execute(async (trx) => {
    await trx.updateTable('reports').set({ updated_at: 1 }).where('id', '=', id).execute();
    locked();
    await released;
  });
  await Promise.race([rowLocked, held]);
  return { a, b, holder, id, notifyCtx, plainCtx, held, release };
}

const messageOf = async (db: Db, key: string) => {
  const job = await db
    .selectFrom('jobs')
    .select('payload')
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return job && (JSON.parse(job.payload) as { chatId: number; text: string });
};

type Setup = Awaited<ReturnType<typeof setUp>>;
type Run = (s: Setup) => Promise<void>;

/** The report's notification, run by replica A. */
const notify: Run = (s) => notifyReportHandler(depsOn(s.a))({ reportId: s.id }, s.notifyCtx);
/** Its on-hold announcement and its delay notice, run by replica B. */
const onHold: Run = (s) => announceOnHoldHandler(depsOn(s.b))({ reportId: s.id }, s.plainCtx);
const delayNotice: Run = (s) => delayNoticeHandler(depsOn(s.b))({ reportId: s.id }, s.plainCtx);

/**
 * `first` then `second` start while the row is held, each waiting for its lock in that order;
 * then the holder lets go. Returns the set-up and the report as both left it.
 */
async function race(now: Date, createdAt: number, first: Run, second: Run) {
  const s = await setUp(now, createdAt);
  const one = first(s);
  await waitersOnLock(s.holder, 1);
  const two = second(s);
  await waitersOnLock(s.holder, 2);
  s.release();
  await Promise.all([s.held, one, two]);
  const report = await s.a.selectFrom('reports').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
  return { s, report };
}

describe.runIf(testDialect === 'postgres')('report jobs of one report racing on two replicas', () => {
  it('does not leave on hold a report whose archive ended, when its on-hold announcement read it before', async () => {
    const now = new Date('2026-03-25T14:30:00Z');
    const { s, report } = await race(now, now.getTime(), notify, onHold);
    expect((await messageOf(s.a, `report:${s.id}:group`))?.text).not.toContain('en attente');
    expect(JSON.parse(report.problems)).not.toContain(archiveOnHold);
    expect(report.status).toBe('done');
  });

  it('announces on hold, then ends the hold, when the on-hold announcement takes the report first', async () => {
    const now = new Date('2026-03-25T14:30:00Z');
    const { s, report } = await race(now, now.getTime(), onHold, notify);
    expect((await messageOf(s.a, `report:${s.id}:group`))?.text).toContain(archiveOnHold);
    expect(report.status).toBe('done');
    expect(JSON.parse(report.problems)).toEqual([]);
    // The technician and the office, told it waits, each read how it ended.
    const ended = [
      await messageOf(s.a, `report:${s.id}:hold-ended:0`),
      await messageOf(s.a, `report:${s.id}:hold-ended:1`),
    ];
    expect(ended.map((message) => message?.chatId)).toEqual([TECHNICIAN_CHAT, SAV_GROUP]);
    expect(ended.map((message) => message?.text)).toEqual([
      '📁 SAV-0001 : archivage repris.',
      '📁 SAV-0001 : archivage repris.',
    ]);
  });

  it('does not tell "archivage en cours, je te confirme" about a report announced done', async () => {
    const now = new Date('2026-03-25T14:31:00Z');
    const { s, report } = await race(now, now.getTime() - 60_000, notify, delayNotice);
    expect(report.status).toBe('done');
    expect(report.delay_notified_at).toBeNull();
    expect(await messageOf(s.a, `report:${s.id}:delay`)).toBeUndefined();
  });

  it('tells that archiving goes on when the delay notice takes the report before it is announced', async () => {
    const now = new Date('2026-03-25T14:31:00Z');
    const { s, report } = await race(now, now.getTime() - 60_000, delayNotice, notify);
    expect(report.status).toBe('done');
    expect(report.delay_notified_at).toBe(now.getTime());
    expect((await messageOf(s.a, `report:${s.id}:delay`))?.chatId).toBe(TECHNICIAN_CHAT);
  });
});
