import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { enqueue, stopWaitingFor, waitAlsoFor } from '../../src/queue/enqueue.ts';
import { defineJobs } from '../../src/queue/job-kind.ts';
import {
  claimNextJob,
  completeJob,
  dependencyOutcomes,
  failJob,
  retryDeadJob,
} from '../../src/queue/job-store.ts';
import { databaseEachTest } from '../support/database.ts';

const jobs = defineJobs({
  'test.work': { schema: Type.Object({}), priority: 10, maxAttempts: 3 },
  'test.after': { schema: Type.Object({}), priority: 0, maxAttempts: 3 },
});
const TYPES = Object.keys(jobs);

const t = databaseEachTest();

const work = (key: string) =>
  enqueue(t.db, jobs['test.work'], { idempotencyKey: key, payload: {} }, t.clock.now());
const after = (key: string, keys: string[]) =>
  enqueue(t.db, jobs['test.after'], { idempotencyKey: key, payload: {}, after: keys }, t.clock.now());
const claim = (types = TYPES) =>
  claimNextJob(t.db, { workerId: 'w', now: t.clock.now(), lockMs: 60_000, types });

describe('dependencies', () => {
  it('a job runs once every job it waits on has ended, done or dead, and reads how they ended', async () => {
    await work('archive');
    await work('card');
    await after('notify', ['archive', 'card']);
    const first = (await claim())!;
    const second = (await claim())!;
    expect(await claim()).toBeUndefined();
    await completeJob(t.db, first, t.clock.now());
    expect(await claim()).toBeUndefined();
    await failJob(t.db, second, { action: 'fail', reason: '403' }, t.clock.now());
    const notify = (await claim())!;
    expect(notify.idempotency_key).toBe('notify');
    expect(await dependencyOutcomes(t.db, notify.id)).toEqual([
      { type: 'test.work', state: 'done', idempotencyKey: 'archive', lastError: null },
      { type: 'test.work', state: 'dead', idempotencyKey: 'card', lastError: '403' },
    ]);
  });

  it('a dependency abandoned on its last attempt is buried once, even by claims racing', async () => {
    await work('archive');
    await work('card');
    await after('notify', ['archive', 'card']);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // Claims 'archive' (the oldest); each holder dies.
      await claimNextJob(t.db, {
        workerId: `w${attempt}`,
        now: t.clock.now(),
        lockMs: 1000,
        types: ['test.work'],
      });
      t.clock.advance(1001);
    }
    // 'archive' expired at its maximum: each racing claim may find it, one buries it.
    const racing = await Promise.all(Array.from({ length: 4 }, () => claim()));
    // 'notify' still waits for 'card': 'archive' counted once, however many claims saw it.
    expect(racing.flatMap((row) => (row ? [row.idempotency_key] : []))).toEqual(['card']);
  });

  it('a retry of a dependency keeps the dependent waiting', async () => {
    await work('archive');
    await after('notify', ['archive']);
    await failJob(t.db, (await claim())!, { action: 'retry', reason: '502', delayMs: 0 }, t.clock.now());
    expect((await claim())!.idempotency_key).toBe('archive');
    expect(await claim()).toBeUndefined();
  });

  it('does not wait for jobs already ended or never enqueued', async () => {
    await work('archive');
    await completeJob(t.db, (await claim())!, t.clock.now());
    await after('notify', ['archive', 'no-such-job']);
    expect((await claim())!.idempotency_key).toBe('notify');
  });

  it('a waiting job can be made to wait for work enqueued after it, counted once however often it is added', async () => {
    await work('plan');
    await after('notify', ['plan']);
    const plan = (await claim())!;
    await t.db.transaction().execute(async (trx) => {
      await enqueue(trx, jobs['test.work'], { idempotencyKey: 'photo', payload: {} }, t.clock.now());
      expect(await waitAlsoFor(trx, 'notify', ['photo', 'no-such-job'])).toBe(true);
      // A plan with no work adds nothing.
      expect(await waitAlsoFor(trx, 'notify', [])).toBe(true);
      // A plan retried after a crash adds the same work again.
      expect(await waitAlsoFor(trx, 'notify', ['photo'])).toBe(true);
    });
    await completeJob(t.db, plan, t.clock.now());
    const photo = (await claim())!;
    expect(photo.idempotency_key).toBe('photo');
    expect(await claim()).toBeUndefined();
    await completeJob(t.db, photo, t.clock.now());
    const notify = (await claim())!;
    expect(notify.idempotency_key).toBe('notify');
    expect((await dependencyOutcomes(t.db, notify.id)).map((d) => d.idempotencyKey)).toEqual([
      'plan',
      'photo',
    ]);
  });

  it('a job that no longer waits cannot be held back: it may already be running', async () => {
    await work('photo');
    await after('notify', []);
    await t.db.transaction().execute(async (trx) => {
      expect(await waitAlsoFor(trx, 'notify', ['photo'])).toBe(false);
      expect(await waitAlsoFor(trx, 'unknown', ['photo'])).toBe(false);
    });
  });

  it('a job can stop waiting for one of its dependencies: it runs once the others have ended', async () => {
    await work('notify-work');
    await work('confirm');
    await after('milestone', ['notify-work', 'confirm']);
    await t.db.transaction().execute((trx) => stopWaitingFor(trx, 'milestone', ['notify-work']));
    const notifyWork = (await claim())!;
    expect(notifyWork.idempotency_key).toBe('notify-work');
    const second = (await claim())!;
    expect(second.idempotency_key).toBe('confirm');
    // Still waits on 'confirm', although 'notify-work' is running and will take long.
    expect(await claim()).toBeUndefined();
    await completeJob(t.db, second, t.clock.now());
    const milestone = (await claim())!;
    expect(milestone.idempotency_key).toBe('milestone');
    expect((await dependencyOutcomes(t.db, milestone.id)).map((d) => d.idempotencyKey)).toEqual(['confirm']);
    // The dropped dependency ending later counts nothing down twice.
    await completeJob(t.db, notifyWork, t.clock.now());
    await completeJob(t.db, milestone, t.clock.now());
    expect(await claim()).toBeUndefined();
  });

  it('stopping to wait for a job already ended, or never waited on, changes nothing', async () => {
    await work('ended');
    await work('other');
    await after('milestone', ['ended', 'other']);
    await completeJob(t.db, (await claim())!, t.clock.now());
    await t.db.transaction().execute(async (trx) => {
      await stopWaitingFor(trx, 'milestone', ['ended', 'unknown']);
      await stopWaitingFor(trx, 'unknown', ['other']);
    });
    // Waits for 'other' alone, as before.
    const other = (await claim())!;
    expect(other.idempotency_key).toBe('other');
    expect(await claim()).toBeUndefined();
    await completeJob(t.db, other, t.clock.now());
    expect((await claim())!.idempotency_key).toBe('milestone');
  });
});

describe('an admin retry of a dead dependency', () => {
  it('does not release the dependent a second time while its other dependency is still pending', async () => {
    await work('photo:1');
    await work('photo:2');
    await after('notify', ['photo:1', 'photo:2']);
    const photo1 = (await claim(['test.work']))!;
    await failJob(t.db, photo1, { action: 'fail', reason: '403' }, t.clock.now());
    const photo2 = (await claim(['test.work']))!;
    expect(photo2.idempotency_key).toBe('photo:2');
    await failJob(t.db, photo2, { action: 'retry', reason: '503', delayMs: 60_000 }, t.clock.now());
    expect(await retryDeadJob(t.db, photo1.id, t.clock.now())).toBe(true);
    const again = (await claim(['test.work']))!;
    expect(again.idempotency_key).toBe('photo:1');
    await completeJob(t.db, again, t.clock.now());
    // 'photo:2' waits for its retry: 'notify' with it.
    expect(await claim(['test.after'])).toBeUndefined();
    t.clock.advance(60_000);
    await completeJob(t.db, (await claim(['test.work']))!, t.clock.now());
    const notify = (await claim(['test.after']))!;
    expect(notify.idempotency_key).toBe('notify');
    expect((await dependencyOutcomes(t.db, notify.id)).map((d) => d.state)).toEqual(['done', 'done']);
  });

  it('makes a dependent released by the death, not yet started, wait for the retry and read its outcome', async () => {
    await work('photo');
    await after('notify', ['photo']);
    const photo = (await claim(['test.work']))!;
    await failJob(t.db, photo, { action: 'fail', reason: '403' }, t.clock.now());
    expect(await retryDeadJob(t.db, photo.id, t.clock.now())).toBe(true);
    expect(await claim(['test.after'])).toBeUndefined();
    await completeJob(t.db, (await claim(['test.work']))!, t.clock.now());
    const notify = (await claim(['test.after']))!;
    expect(await dependencyOutcomes(t.db, notify.id)).toEqual([
      { type: 'test.work', state: 'done', idempotencyKey: 'photo', lastError: null },
    ]);
    // Counted down once: nothing waits below zero, nothing else became runnable.
    await completeJob(t.db, notify, t.clock.now());
    expect(await claim()).toBeUndefined();
  });

  it('leaves a dependent that already started as it is', async () => {
    await work('photo');
    await after('notify', ['photo']);
    const photo = (await claim(['test.work']))!;
    await failJob(t.db, photo, { action: 'fail', reason: '403' }, t.clock.now());
    const notify = (await claim(['test.after']))!;
    expect(await retryDeadJob(t.db, photo.id, t.clock.now())).toBe(true);
    // Its retry, after a failure, is not held back by the job retried meanwhile either.
    await failJob(t.db, notify, { action: 'retry', reason: '502', delayMs: 0 }, t.clock.now());
    expect((await claim(['test.after']))?.idempotency_key).toBe('notify');
    await completeJob(t.db, (await claim(['test.work']))!, t.clock.now());
    const waiting = await t.db
      .selectFrom('jobs')
      .select('waiting_for')
      .where('idempotency_key', '=', 'notify')
      .executeTakeFirstOrThrow();
    expect(waiting.waiting_for).toBe(0);
  });
});
