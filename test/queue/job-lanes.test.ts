import { sql } from 'kysely';
import Type from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { isPostgres } from '../../src/db/dialect.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { defineJobs } from '../../src/queue/job-kind.ts';
import {
  claimNextJob,
  claimsSettled,
  completeJob,
  failJob,
  type JobRow,
  type LaneQuery,
  listJobs,
  takeTurnInLane,
} from '../../src/queue/job-store.ts';
import { databaseEachTest } from '../support/database.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

/**
 * Lanes (src/queue/job-store.ts): jobs that must take effect in id order find the unfinished job
 * ahead of them, and wait for it to end (a postponement with `afterJob`) without using an attempt.
 */

const jobs = defineJobs({
  'test.message': { schema: Type.Object({ chat: Type.Integer() }), priority: 10, maxAttempts: 3 },
});
const TYPES = Object.keys(jobs);

const t = databaseEachTest();

let keys = 0;
const message = (chat: number) =>
  enqueue(
    t.db,
    jobs['test.message'],
    { idempotencyKey: `message-${++keys}`, payload: { chat } },
    t.clock.now(),
  );
const claim = () => claimNextJob(t.db, { workerId: 'w', now: t.clock.now(), lockMs: 60_000, types: TYPES });
const laneOf = (chat: number): LaneQuery => ({
  lane: `chat:${chat}`,
  types: TYPES,
  belongs: ({ payload }) => (JSON.parse(payload) as { chat: number }).chat === chat,
});
const row = async (id: number) => (await listJobs(t.db)).find((job) => job.id === id)!;
const waitFor = (job: JobRow, ahead: number) =>
  failJob(t.db, job, { action: 'postpone', reason: 'ahead', delayMs: 0, afterJob: ahead }, t.clock.now());

describe('lanes', () => {
  it('a job waits for the nearest earlier unfinished job of its lane, joined or still running', async () => {
    await message(1);
    await message(2);
    await message(1);
    await message(1);
    const [first, other, second, third] = [
      (await claim())!,
      (await claim())!,
      (await claim())!,
      (await claim())!,
    ];
    // Another lane is another order.
    expect(await takeTurnInLane(t.db, other, laneOf(2))).toBeUndefined();
    // The first runs and has not taken its turn yet: the second waits for it all the same.
    expect(await takeTurnInLane(t.db, second, laneOf(1))).toBe(first.id);
    expect(await takeTurnInLane(t.db, third, laneOf(1))).toBe(second.id);
    expect(await takeTurnInLane(t.db, first, laneOf(1))).toBeUndefined();
    expect((await row(first.id)).lane).toBe('chat:1 (head)');
  });

  it('a job waits for the one ahead without using an attempt, and runs once that one ended', async () => {
    await message(1);
    await message(1);
    const first = (await claim())!;
    const second = (await claim())!;
    expect(await takeTurnInLane(t.db, first, laneOf(1))).toBeUndefined();
    const ahead = await takeTurnInLane(t.db, second, laneOf(1));
    expect(ahead).toBe(first.id);
    expect(await waitFor(second, ahead!)).toBe(true);
    expect(await row(second.id)).toMatchObject({ state: 'pending', attempts: 0, waiting_for: 1 });
    expect(await claim()).toBeUndefined();
    // The first is postponed in turn: it keeps its turn, the second still waits for its end.
    expect(
      await failJob(t.db, first, { action: 'postpone', reason: 'pace', delayMs: 1_000 }, t.clock.now()),
    ).toBe(true);
    t.clock.advance(1_000);
    const again = (await claim())!;
    expect(again.id).toBe(first.id);
    expect(await takeTurnInLane(t.db, again, laneOf(1))).toBeUndefined();
    expect(await claim()).toBeUndefined();
    expect(await completeJob(t.db, again, t.clock.now())).toBe(true);
    expect(await row(first.id)).toMatchObject({ state: 'done', lane: null });
    const next = (await claim())!;
    expect(next.id).toBe(second.id);
    expect(await takeTurnInLane(t.db, next, laneOf(1))).toBeUndefined();
  });

  it('a job that waited on others and comes late does not cut into the turn of a newer one', async () => {
    await enqueue(
      t.db,
      jobs['test.message'],
      { idempotencyKey: 'gate', payload: { chat: 9 } },
      t.clock.now(),
    );
    await enqueue(
      t.db,
      jobs['test.message'],
      { idempotencyKey: 'late', payload: { chat: 1 }, after: ['gate'] },
      t.clock.now(),
    );
    await message(1);
    const gate = (await claim())!;
    const newer = (await claim())!;
    expect(await takeTurnInLane(t.db, newer, laneOf(1))).toBeUndefined();
    // Halfway through its effects (a part sent, a 429 on the next), the newer one is postponed.
    expect(
      await failJob(t.db, newer, { action: 'postpone', reason: '429', delayMs: 5_000 }, t.clock.now()),
    ).toBe(true);
    expect(await completeJob(t.db, gate, t.clock.now())).toBe(true);
    const late = (await claim())!;
    expect(late.idempotency_key).toBe('late');
    expect(await takeTurnInLane(t.db, late, laneOf(1))).toBe(newer.id);
  });

  it('a job whose job ahead ended meanwhile runs again at once', async () => {
    await message(1);
    await message(1);
    const first = (await claim())!;
    const second = (await claim())!;
    expect(await completeJob(t.db, first, t.clock.now())).toBe(true);
    expect(await waitFor(second, first.id)).toBe(true);
    expect(await row(second.id)).toMatchObject({ state: 'pending', waiting_for: 0 });
    expect((await claim())?.id).toBe(second.id);
  });

  it('are found through their own index on SQLite, not by reading the jobs of other lanes', async () => {
    if (isPostgres(t.db)) return;
    // takeTurnInLane's query, its values bound as Kysely binds them.
    const { rows } = await sql<{ detail: string }>`
      EXPLAIN QUERY PLAN SELECT id FROM jobs
      WHERE lane = ${'chat:1'} AND id < ${10} AND state IN (${'pending'}, ${'running'})
      ORDER BY id DESC LIMIT ${1}`.execute(t.db);
    expect(rows.map((r) => r.detail).join('\n')).toMatch(/USING (COVERING )?INDEX jobs_lane/u);
  });
});

describe('claims under way, on PostgreSQL', () => {
  const opened: Db[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
  });
  /** Two replicas on one database. */
  async function twoReplicas(): Promise<[Db, Db]> {
    const url = await freshDatabaseUrl();
    opened.push(await openDatabase(url), await openDatabase(url));
    return [opened[0]!, opened[1]!];
  }
  /** Resolves once some session waits for an advisory lock (asked again until one does). */
  async function someoneWaitsForTheClaimsLock(db: Db): Promise<void> {
    for (let asked = 0; asked < 2_000; asked++) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`.execute(db);
      if (rows[0]!.n > 0) return;
    }
    throw new Error('nobody waits for the claims lock');
  }
  function gate() {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  }

  it.runIf(testDialect === 'postgres')(
    'a claim holds the claims lock until it commits: waiting for it sees what it claimed',
    async () => {
      const [first, second] = await twoReplicas();
      await enqueue(
        first,
        jobs['test.message'],
        { idempotencyKey: 'm', payload: { chat: 1 } },
        t.clock.now(),
      );
      // An exclusive holder (as claimsSettled takes it) makes a claim wait, and a claim's shared
      // hold makes claimsSettled wait.
      const held = gate();
      const release = gate();
      const exclusive = first.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('jobs'), hashtext('claims'))`.execute(trx);
        held.open();
        await release.opened;
      });
      await held.opened;
      const claim = claimNextJob(second, { workerId: 'w', now: t.clock.now(), lockMs: 60_000, types: TYPES });
      await someoneWaitsForTheClaimsLock(first);
      release.open();
      await exclusive;
      expect((await claim)?.idempotency_key).toBe('m');

      const claiming = gate();
      const commit = gate();
      const underWay = first.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock_shared(hashtext('jobs'), hashtext('claims'))`.execute(trx);
        claiming.open();
        await commit.opened;
      });
      await claiming.opened;
      let settled = false;
      const waiting = claimsSettled(second).then(() => (settled = true));
      await someoneWaitsForTheClaimsLock(first);
      expect(settled).toBe(false);
      commit.open();
      await underWay;
      await waiting;
      expect(settled).toBe(true);
    },
  );
});
