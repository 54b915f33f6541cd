import Type from 'typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { enqueue, waitAlsoFor } from '../../src/queue/enqueue.ts';
import { defineJobs } from '../../src/queue/job-kind.ts';
import { claimNextJob, completeJob, dependencyOutcomes, failJob } from '../../src/queue/job-store.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';

const jobs = defineJobs({
  'test.work': { schema: Type.Object({}), priority: 10, maxAttempts: 3 },
  'test.after': { schema: Type.Object({}), priority: 0, maxAttempts: 3 },
});
const TYPES = Object.keys(jobs);

let db: Db;
let clock: TestClock;
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
});
afterEach(() => db.destroy());

const work = (key: string) =>
  enqueue(db, jobs['test.work'], { idempotencyKey: key, payload: {} }, clock.now());
const after = (key: string, keys: string[]) =>
  enqueue(db, jobs['test.after'], { idempotencyKey: key, payload: {}, after: keys }, clock.now());
const claim = () => claimNextJob(db, { workerId: 'w', now: clock.now(), lockMs: 60_000, types: TYPES });

describe('dependencies', () => {
  it('a job runs once every job it waits on has ended, done or dead, and reads how they ended', async () => {
    await work('archive');
    await work('card');
    await after('notify', ['archive', 'card']);
    const first = (await claim())!;
    const second = (await claim())!;
    expect(await claim()).toBeUndefined();
    await completeJob(db, first, clock.now());
    expect(await claim()).toBeUndefined();
    await failJob(db, second, { action: 'fail', reason: '403' }, clock.now());
    const notify = (await claim())!;
    expect(notify.idempotency_key).toBe('notify');
    expect(await dependencyOutcomes(db, notify.id)).toEqual([
      { type: 'test.work', state: 'done', idempotencyKey: 'archive', lastError: null },
      { type: 'test.work', state: 'dead', idempotencyKey: 'card', lastError: '403' },
    ]);
  });

  it('a retry of a dependency keeps the dependent waiting', async () => {
    await work('archive');
    await after('notify', ['archive']);
    await failJob(db, (await claim())!, { action: 'retry', reason: '502', delayMs: 0 }, clock.now());
    expect((await claim())!.idempotency_key).toBe('archive');
    expect(await claim()).toBeUndefined();
  });

  it('does not wait for jobs already ended or never enqueued', async () => {
    await work('archive');
    await completeJob(db, (await claim())!, clock.now());
    await after('notify', ['archive', 'no-such-job']);
    expect((await claim())!.idempotency_key).toBe('notify');
  });

  it('a waiting job can be made to wait for work enqueued after it, counted once however often it is added', async () => {
    await work('plan');
    await after('notify', ['plan']);
    const plan = (await claim())!;
    await db.transaction().execute(async (trx) => {
      await enqueue(trx, jobs['test.work'], { idempotencyKey: 'photo', payload: {} }, clock.now());
      expect(await waitAlsoFor(trx, 'notify', ['photo', 'no-such-job'])).toBe(true);
      // A plan with no work adds nothing.
      expect(await waitAlsoFor(trx, 'notify', [])).toBe(true);
      // A plan retried after a crash adds the same work again.
      expect(await waitAlsoFor(trx, 'notify', ['photo'])).toBe(true);
    });
    await completeJob(db, plan, clock.now());
    const photo = (await claim())!;
    expect(photo.idempotency_key).toBe('photo');
    expect(await claim()).toBeUndefined();
    await completeJob(db, photo, clock.now());
    const notify = (await claim())!;
    expect(notify.idempotency_key).toBe('notify');
    expect((await dependencyOutcomes(db, notify.id)).map((d) => d.idempotencyKey)).toEqual(['plan', 'photo']);
  });

  it('a job that no longer waits cannot be held back: it may already be running', async () => {
    await work('photo');
    await after('notify', []);
    await db.transaction().execute(async (trx) => {
      expect(await waitAlsoFor(trx, 'notify', ['photo'])).toBe(false);
      expect(await waitAlsoFor(trx, 'unknown', ['photo'])).toBe(false);
    });
  });
});
