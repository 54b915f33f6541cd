import Type from 'typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
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
      { type: 'test.work', state: 'done', idempotencyKey: 'archive' },
      { type: 'test.work', state: 'dead', idempotencyKey: 'card' },
    ]);
  });

  it('a dependency abandoned on its last attempt is buried once, even by claims racing', async () => {
    await work('archive');
    await work('card');
    await after('notify', ['archive', 'card']);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // Claims 'archive' (the oldest); each holder dies.
      await claimNextJob(db, {
        workerId: `w${attempt}`,
        now: clock.now(),
        lockMs: 1000,
        types: ['test.work'],
      });
      clock.advance(1001);
    }
    // 'archive' expired at its maximum: each racing claim may find it, one buries it.
    const racing = await Promise.all(Array.from({ length: 4 }, () => claim()));
    // 'notify' still waits for 'card': 'archive' counted once, however many claims saw it.
    expect(racing.flatMap((row) => (row ? [row.idempotency_key] : []))).toEqual(['card']);
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
});
