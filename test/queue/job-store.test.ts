import { describe, expect, it } from 'vitest';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { backoffDelayMs } from '../../src/queue/backoff.ts';
import { enqueue, InvalidJobPayloadError } from '../../src/queue/enqueue.ts';
import {
  claimNextJob,
  completeJob,
  failJob,
  jobKeysStartingWith,
  listJobs,
  nextRunAt,
  purgeFinishedJobs,
  releaseJob,
  retryDeadJob,
} from '../../src/queue/job-store.ts';
import { databaseEachTest } from '../support/database.ts';

const t = databaseEachTest();

const TYPES = ['telegram.send-message', 'telegram.answer-callback', 'telegram.set-commands'];
const claim = (workerId = 'w1', lockMs = 60_000) =>
  claimNextJob(t.db, { workerId, now: t.clock.now(), lockMs, types: TYPES });
const message = (key: string, runAt?: Date) =>
  enqueue(
    t.db,
    telegramJobs['telegram.send-message'],
    {
      idempotencyKey: key,
      payload: { slug: 'etm', chatId: 1, text: key },
      runAt,
    },
    t.clock.now(),
  );
const answer = (key: string) =>
  enqueue(
    t.db,
    telegramJobs['telegram.answer-callback'],
    { idempotencyKey: key, payload: { slug: 'etm', callbackQueryId: key } },
    t.clock.now(),
  );

describe('enqueue', () => {
  it('is a no-op for a key already enqueued', async () => {
    expect(await message('a')).toBe(true);
    expect(await message('a')).toBe(false);
    expect(await listJobs(t.db)).toHaveLength(1);
  });

  it('refuses a payload that does not match its type', async () => {
    await expect(
      enqueue(
        t.db,
        telegramJobs['telegram.send-message'],
        // @ts-expect-error: the payload is wrong on purpose
        { idempotencyKey: 'x', payload: { slug: 'etm', text: '' } },
        t.clock.now(),
      ),
    ).rejects.toBeInstanceOf(InvalidJobPayloadError);
  });
});

describe('claim', () => {
  it('takes the highest priority first, then the earliest run_at', async () => {
    await message('late', new Date(t.clock.now().getTime() - 1000));
    await message('early', new Date(t.clock.now().getTime() - 5000));
    await answer('button');
    const order = [];
    for (let job = await claim(); job; job = await claim()) order.push(job.idempotency_key);
    expect(order).toEqual(['button', 'early', 'late']);
  });

  it('counts the attempt at claim time and locks the row', async () => {
    await message('a');
    const job = (await claim('w1'))!;
    expect(job).toMatchObject({ attempts: 1, state: 'running', locked_by: 'w1' });
    expect(await claim('w2')).toBeUndefined();
  });

  it('does not take a job before its run_at, nor a type it was not given', async () => {
    await message('later', new Date(t.clock.now().getTime() + 10_000));
    await enqueue(
      t.db,
      telegramJobs['telegram.edit-reply-markup'],
      {
        idempotencyKey: 'e',
        payload: { slug: 'etm', chatId: 1, messageId: 2 },
      },
      t.clock.now(),
    );
    expect(await claim()).toBeUndefined();
    t.clock.advance(10_000);
    expect((await claim())?.idempotency_key).toBe('later');
  });

  it('reclaims a job whose holder died once its lock has expired', async () => {
    await message('a');
    const first = (await claim('dead-worker', 1000))!;
    expect(await claim('w2')).toBeUndefined();
    t.clock.advance(1001);
    const again = (await claim('w2'))!;
    expect(again).toMatchObject({ locked_by: 'w2', attempts: 2 });
    // The first claim's token no longer holds the job: only the second run may finish it.
    expect(await completeJob(t.db, first, t.clock.now())).toBe(false);
    expect(await completeJob(t.db, again, t.clock.now())).toBe(true);
  });
});

describe('complete and fail', () => {
  it('only the run holding the claim token completes a job', async () => {
    await message('a');
    const job = (await claim('w1'))!;
    expect(await completeJob(t.db, { ...job, lock_token: 'another-claim' }, t.clock.now())).toBe(false);
    expect(await completeJob(t.db, job, t.clock.now())).toBe(true);
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'done', locked_by: null });
  });

  it('retries with a growing backoff, then the job is dead with its last error', async () => {
    await message('a');
    const delays: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const job = (await claim())!;
      expect(job.attempts).toBe(attempt);
      await failJob(t.db, job, { action: 'retry', reason: `HTTP 502 #${attempt}` }, t.clock.now(), () => 0.5);
      const [row] = await listJobs(t.db);
      if (row!.state === 'dead') {
        expect(attempt).toBe(row!.max_attempts);
        expect(row!.last_error).toBe(`HTTP 502 #${attempt} (after ${attempt} attempts)`);
        break;
      }
      delays.push(row!.run_at - t.clock.now().getTime());
      t.clock.advance(row!.run_at - t.clock.now().getTime());
    }
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
  });

  it('waits exactly what the remote asked for', async () => {
    await message('a');
    await failJob(t.db, (await claim())!, { action: 'retry', reason: '429', delayMs: 7000 }, t.clock.now());
    expect((await listJobs(t.db))[0]!.run_at).toBe(t.clock.now().getTime() + 7000);
  });

  it('waits whole ms: a fractional delay is rounded up (PostgreSQL stores run_at as a bigint)', async () => {
    await message('a');
    await message('b');
    await failJob(
      t.db,
      (await claim())!,
      { action: 'postpone', reason: 'album', delayMs: 1500.5 },
      t.clock.now(),
    );
    await failJob(t.db, (await claim())!, { action: 'retry', reason: '503', delayMs: 0.25 }, t.clock.now());
    const runAt = Object.fromEntries((await listJobs(t.db)).map((j) => [j.idempotency_key, j.run_at]));
    expect(runAt).toEqual({ a: t.clock.now().getTime() + 1501, b: t.clock.now().getTime() + 1 });
  });

  it('a permanent failure is dead at once; a "done" decision completes', async () => {
    await message('a');
    await message('b');
    await failJob(t.db, (await claim())!, { action: 'fail', reason: '403 blocked' }, t.clock.now());
    await failJob(t.db, (await claim())!, { action: 'done', reason: 'not modified' }, t.clock.now());
    const states = Object.fromEntries((await listJobs(t.db)).map((j) => [j.idempotency_key, j.state]));
    expect(states).toEqual({ a: 'dead', b: 'done' });
  });

  it('postponing or releasing gives the attempt back', async () => {
    await message('a');
    await failJob(
      t.db,
      (await claim())!,
      { action: 'postpone', reason: 'rate', delayMs: 3000 },
      t.clock.now(),
    );
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    t.clock.advance(3000);
    await releaseJob(t.db, (await claim())!, t.clock.now());
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('a dead job can be retried with fresh attempts', async () => {
    await message('a');
    const job = (await claim())!;
    await failJob(t.db, job, { action: 'fail', reason: 'x' }, t.clock.now());
    expect(await retryDeadJob(t.db, job.id, t.clock.now())).toBe(true);
    expect(await retryDeadJob(t.db, job.id, t.clock.now())).toBe(false);
    expect((await claim())?.attempts).toBe(1);
  });
});

describe('nextRunAt', () => {
  it("is the earliest pending run_at or abandoned lock's expiry, so the worker wakes for either", async () => {
    await message('later', new Date(t.clock.now().getTime() + 60_000));
    expect(await nextRunAt(t.db, TYPES)).toBe(t.clock.now().getTime() + 60_000);
    await message('now');
    await claim('dying-worker', 5_000);
    expect(await nextRunAt(t.db, TYPES)).toBe(t.clock.now().getTime() + 5_000);
    expect(await nextRunAt(t.db, [])).toBeUndefined();
  });
});

describe('purge', () => {
  it('deletes done jobs past retention and keeps dead ones', async () => {
    await message('done');
    await message('dead');
    await completeJob(t.db, (await claim())!, t.clock.now());
    await failJob(t.db, (await claim())!, { action: 'fail', reason: 'x' }, t.clock.now());
    expect(await purgeFinishedJobs(t.db, t.clock.now(), 7)).toBe(0);
    t.clock.advance(7 * 24 * 3600 * 1000 + 1);
    expect(await purgeFinishedJobs(t.db, t.clock.now(), 7)).toBe(1);
    expect((await listJobs(t.db)).map((j) => j.idempotency_key)).toEqual(['dead']);
  });
});

describe('backoff', () => {
  it('grows exponentially and caps, with jitter inside [half, full]', () => {
    const low = [1, 2, 3, 4].map((n) => backoffDelayMs(n, () => 0));
    expect(low).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(3, () => 1)).toBe(8000);
    expect(backoffDelayMs(50, () => 1)).toBe(15 * 60_000);
  });
});

describe('workers that keep dying', () => {
  it('never take a job past its maximum attempts: the last abandoned one is dead', async () => {
    await message('a');
    for (let attempt = 1; attempt <= 11; attempt++) {
      // Each holder dies: its lock expires, and the next claim takes the job again.
      await claim(`w${attempt}`, 1000);
      t.clock.advance(1001);
    }
    const [row] = await listJobs(t.db);
    expect(row).toMatchObject({ state: 'dead', attempts: row!.max_attempts });
    expect(row!.last_error).toContain('last attempt');
  });
});

describe('claims at the same moment', () => {
  it('take different jobs, each once', async () => {
    for (let i = 0; i < 8; i++) await message(`m${i}`);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(`w${i}`)));
    const ids = claims.flatMap((row) => (row ? [row.id] : []));
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
  });
});

describe('jobKeysStartingWith', () => {
  it('lists the keys of one series, taking % and _ in the prefix as themselves', async () => {
    for (const key of [
      'report:1:late:5',
      'report:1:late:6,7',
      'report:12:late:8',
      'report:1_late:9',
      'x%y:1',
    ])
      await message(key);
    expect((await jobKeysStartingWith(t.db, 'report:1:late:')).sort()).toEqual([
      'report:1:late:5',
      'report:1:late:6,7',
    ]);
    expect(await jobKeysStartingWith(t.db, 'x%')).toEqual(['x%y:1']);
    expect(await jobKeysStartingWith(t.db, 'report:1_')).toEqual(['report:1_late:9']);
  });
});
