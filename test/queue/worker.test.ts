import { pino } from 'pino';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import type { FailureDecision } from '../../src/queue/failure.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import { defineHandlers, type JobHandler } from '../../src/queue/job-handler.ts';
import type { PayloadOf } from '../../src/queue/job-kind.ts';
import { PostponeError } from '../../src/queue/postpone.ts';
import { Worker } from '../../src/queue/worker.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

let db: Db;
let clock: TestClock;
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
});
afterEach(async () => {
  vi.useRealTimers();
  await db.destroy();
});

const logger = pino({ level: 'silent' });
const retry: () => FailureDecision = () => ({ action: 'retry', reason: 'boom' });

type SendMessage = (typeof telegramJobs)['telegram.send-message'];
const sendKind = { 'telegram.send-message': telegramJobs['telegram.send-message'] };

function worker(
  handlers: { 'telegram.send-message'?: JobHandler<PayloadOf<SendMessage>> },
  options: { concurrency?: number; idleCheckMs?: number } = {},
) {
  const run = handlers['telegram.send-message'];
  return new Worker({
    db,
    handlers: run ? defineHandlers(sendKind, { 'telegram.send-message': run }) : {},
    decide: retry,
    clock: clock.now,
    logger,
    concurrency: options.concurrency ?? 2,
    idleCheckMs: options.idleCheckMs ?? 3_600_000,
  });
}

const send = (key: string) =>
  enqueue(
    db,
    telegramJobs['telegram.send-message'],
    { idempotencyKey: key, payload: { slug: 'etm', chatId: 1, text: key } },
    clock.now(),
  );

/** A handler that records calls and lets the test decide when each call ends. */
function gate() {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  let called: (key: string) => void = () => undefined;
  let nextCall = new Promise<string>((resolve) => (called = resolve));
  const handler: JobHandler<PayloadOf<SendMessage>> = async ({ text }) => {
    calls.push(text);
    const finished = new Promise<void>((resolve) => (release = resolve));
    called(text);
    nextCall = new Promise<string>((resolve) => (called = resolve));
    await finished;
  };
  return {
    calls,
    handler,
    next: () => nextCall,
    release: () => {
      release();
    },
  };
}

describe('Worker', () => {
  it('runOnce drains every runnable job and leaves the rest', async () => {
    const seen: string[] = [];
    const w = worker({ 'telegram.send-message': async (p) => void seen.push(p.text) });
    await send('a');
    await send('b');
    await enqueue(
      db,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: 'later',
        payload: { slug: 'etm', chatId: 1, text: 'later' },
        runAt: new Date(clock.now().getTime() + 60_000),
      },
      clock.now(),
    );
    expect(await w.runOnce()).toBe(2);
    expect(seen).toEqual(['a', 'b']);
    clock.advance(60_000);
    expect(await w.runOnce()).toBe(1);
  });

  it('records a failure for retry with the error decision', async () => {
    const w = worker({
      'telegram.send-message': async () => {
        throw new Error('remote down');
      },
    });
    await send('a');
    await w.runOnce();
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 1, last_error: 'boom' });
  });

  it('postpones without using an attempt a job whose error wraps a postponement', async () => {
    // As the knowledge source wraps the Nextcloud breaker's PostponeError (src/assistant/knowledge-source.ts).
    const w = worker({
      'telegram.send-message': async () => {
        const paused = new PostponeError(60_000, 'Nextcloud refused the app password');
        throw new Error('cannot read the Nextcloud folder Wiki_SAV', {
          cause: new Error('list', { cause: paused }),
        });
      },
    });
    await send('a');
    await w.runOnce();
    expect((await listJobs(db))[0]).toMatchObject({
      state: 'pending',
      attempts: 0,
      run_at: clock.now().getTime() + 60_000,
      last_error: null,
    });
  });

  it('judges by the error decision a failure whose causes loop, without a postponement', async () => {
    const w = worker({
      'telegram.send-message': async () => {
        const looping = new Error('wraps itself');
        looping.cause = looping;
        throw looping;
      },
    });
    await send('a');
    await w.runOnce();
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 1, last_error: 'boom' });
  });

  it('leaves jobs of types it has no handler for', async () => {
    const w = worker({});
    await send('a');
    expect(await w.runOnce()).toBe(0);
    expect((await listJobs(db))[0]!.state).toBe('pending');
  });

  it('wakes up at once when told a job was enqueued, not at its next idle check', async () => {
    const g = gate();
    const w = worker({ 'telegram.send-message': g.handler });
    w.start();
    const called = g.next();
    await send('a');
    w.wake();
    expect(await called).toBe('a');
    g.release();
    await w.stop(1000);
    expect((await listJobs(db))[0]!.state).toBe('done');
  });

  it('on stop, lets a running job finish within the grace period', async () => {
    const g = gate();
    const w = worker({ 'telegram.send-message': g.handler });
    await send('a');
    const called = g.next();
    w.start();
    await called;
    const stopped = w.stop(60_000);
    await send('b');
    w.wake();
    g.release();
    await stopped;
    const states = Object.fromEntries((await listJobs(db)).map((j) => [j.idempotency_key, j.state]));
    expect(states).toEqual({ a: 'done', b: 'pending' });
  });

  it('on stop, hands back a job still running after the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const g = gate();
    const w = worker({ 'telegram.send-message': g.handler });
    await send('a');
    const called = g.next();
    w.start();
    await called;
    const stopped = w.stop(5_000);
    // The grace period, then the time aborted handlers get to return (this one ignores its signal).
    await vi.advanceTimersByTimeAsync(5_000 + 2_000);
    await stopped;
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 0, locked_by: null });
    g.release();
  });

  it('runs up to `concurrency` jobs at once', async () => {
    const g = gate();
    const w = worker({ 'telegram.send-message': g.handler }, { concurrency: 2 });
    for (const key of ['a', 'b', 'c']) await send(key);
    const first = g.next();
    w.start();
    await first;
    const second = g.next();
    await second;
    const running = await listJobs(db, { state: 'running' });
    expect(running).toHaveLength(2);
    expect(g.calls).toEqual(['a', 'b']);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stopped = w.stop(1);
    await vi.advanceTimersByTimeAsync(1 + 2_000);
    await stopped;
  });

  it('runs the housekeeping with the purge, at most once an hour', async () => {
    const runs: number[] = [];
    const w = new Worker({
      db,
      handlers: {},
      decide: retry,
      clock: clock.now,
      logger,
      concurrency: 1,
      housekeeping: async (now) => {
        runs.push(now.getTime());
      },
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    w.wake();
    // The loop's queries are real I/O on PostgreSQL: wait for their outcome, not for a tick.
    await vi.waitFor(() => {
      expect(runs).toEqual([clock.now().getTime()]);
    });
    clock.advance(60 * 60_000);
    w.wake();
    await vi.waitFor(() => {
      expect(runs).toHaveLength(2);
    });
    const stopped = w.stop(1);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
  });

  it.runIf(testDialect === 'postgres')(
    'housekeeps in one replica at a time: another skips its round and runs jobs',
    async () => {
      const url = await freshDatabaseUrl();
      const [first, second] = [await openDatabase(url), await openDatabase(url)];
      const housekept: string[] = [];
      let finishFirst: () => void = () => undefined;
      const firstHousekeeps = new Promise<void>((resolve) => (finishFirst = resolve));
      const ran: string[] = [];
      const replica = (handle: Db, name: string) =>
        new Worker({
          db: handle,
          handlers: defineHandlers(sendKind, {
            'telegram.send-message': async ({ text }) => void ran.push(`${name}:${text}`),
          }),
          decide: retry,
          clock: clock.now,
          logger,
          concurrency: 1,
          idleCheckMs: 3_600_000,
          housekeeping: async () => {
            housekept.push(name);
            if (name === 'first') await firstHousekeeps;
          },
        });
      const [a, b] = [replica(first, 'first'), replica(second, 'second')];
      try {
        a.start();
        await vi.waitFor(() => expect(housekept).toEqual(['first']));
        await enqueue(
          first,
          telegramJobs['telegram.send-message'],
          { idempotencyKey: 'k', payload: { slug: 'etm', chatId: 1, text: 'while the first housekeeps' } },
          clock.now(),
        );
        b.start();
        await vi.waitFor(() => expect(ran).toEqual(['second:while the first housekeeps']));
        expect(housekept).toEqual(['first']);
      } finally {
        finishFirst();
        await Promise.all([a.stop(1_000), b.stop(1_000)]);
        await Promise.all([first.destroy(), second.destroy()]);
      }
    },
  );
});
