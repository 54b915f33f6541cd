import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { type App, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { claimNextJob, failJob } from '../../src/queue/job-store.ts';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';
import { testEnv } from '../support/test-app.ts';

let app: App;
let db: Db;
let clock: TestClock;
let wakeUps: number;

beforeEach(async () => {
  const config = loadConfig(testEnv({ ADMIN_TOKEN }));
  db = await memoryDatabase();
  clock = new TestClock('2026-03-25T14:30:00Z');
  wakeUps = 0;
  app = await buildApp(config, {
    db,
    logger: createLogger('silent'),
    clock: clock.now,
    wakeWorker: () => {
      wakeUps++;
    },
  });
});
afterEach(async () => {
  await app.close();
  await db.destroy();
});

const get = (url: string) => app.inject({ url, headers: ADMIN_AUTH });
const retry = (id: number | string) =>
  app.inject({ method: 'POST', url: `/admin/jobs/${id}/retry`, headers: ADMIN_AUTH });

const sendMessage = (key: string, text = key) =>
  enqueue(
    db,
    telegramJobs['telegram.send-message'],
    { idempotencyKey: key, payload: { slug: 'etm-terrain', chatId: 1, text } },
    clock.now(),
  );
const setCommands = (key: string) =>
  enqueue(
    db,
    telegramJobs['telegram.set-commands'],
    { idempotencyKey: key, payload: { slug: 'etm-terrain' } },
    clock.now(),
  );

/** Claims the next job and fails it for good, as the worker does for a 403 from Telegram. */
async function killNextJob(reason: string): Promise<number> {
  const job = await claimNextJob(db, {
    workerId: 'w1',
    now: clock.now(),
    lockMs: 60_000,
    types: ['telegram.send-message', 'telegram.set-commands'],
  });
  if (!job) throw new Error('no job to claim');
  expect(await failJob(db, job, { action: 'fail', reason }, clock.now())).toBe(true);
  return job.id;
}

describe('GET /admin/jobs', () => {
  it('lists jobs newest first with their payload parsed and times as ISO strings', async () => {
    await sendMessage('a', 'Bonjour Müller');
    clock.advance(1000);
    await setCommands('b');
    const response = await get('/admin/jobs');
    expect(response.statusCode).toBe(200);
    const { jobs } = response.json();
    expect(jobs.map((job: { idempotencyKey: string }) => job.idempotencyKey)).toEqual(['b', 'a']);
    expect(jobs[1]).toEqual({
      id: expect.any(Number),
      type: 'telegram.send-message',
      state: 'pending',
      idempotencyKey: 'a',
      payload: { slug: 'etm-terrain', chatId: 1, text: 'Bonjour Müller' },
      priority: 80,
      attempts: 0,
      maxAttempts: 10,
      runAt: '2026-03-25T14:30:00.000Z',
      lockedUntil: null,
      lastError: null,
      createdAt: '2026-03-25T14:30:00.000Z',
      updatedAt: '2026-03-25T14:30:00.000Z',
      finishedAt: null,
    });
  });

  it('filters by state and type, and limits', async () => {
    for (const key of ['a', 'b', 'c']) await sendMessage(key);
    await setCommands('d');
    clock.advance(5000);
    const dead = await killNextJob('403 Forbidden: bot was blocked by the user');

    const deadJobs = (await get('/admin/jobs?state=dead')).json().jobs;
    expect(deadJobs).toEqual([
      expect.objectContaining({
        id: dead,
        state: 'dead',
        attempts: 1,
        lastError: '403 Forbidden: bot was blocked by the user',
        finishedAt: '2026-03-25T14:30:05.000Z',
      }),
    ]);
    const commands = (await get('/admin/jobs?type=telegram.set-commands')).json().jobs;
    expect(commands.map((job: { idempotencyKey: string }) => job.idempotencyKey)).toEqual(['d']);
    const pendingMessages = (
      await get('/admin/jobs?state=pending&type=telegram.send-message&limit=1')
    ).json();
    expect(pendingMessages.jobs).toHaveLength(1);
    expect(pendingMessages.jobs[0].idempotencyKey).toBe('c');
  });

  it.each(['state=lost', 'limit=0', 'limit=501', 'limit=100000000000000000000', 'type=Not A Type'])(
    'refuses ?%s',
    async (query) => {
      const response = await get(`/admin/jobs?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', message: expect.any(String) });
    },
  );
});

describe('POST /admin/jobs/{id}/retry', () => {
  it('gives a dead job a fresh set of attempts, runnable now, and wakes the worker', async () => {
    await sendMessage('a');
    const id = await killNextJob('400 Bad Request: chat not found');
    clock.advance(60_000);

    const response = await retry(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      state: 'pending',
      attempts: 0,
      runAt: '2026-03-25T14:31:00.000Z',
      finishedAt: null,
      lastError: '400 Bad Request: chat not found',
    });
    expect(wakeUps).toBe(1);
    const claimed = await claimNextJob(db, {
      workerId: 'w2',
      now: clock.now(),
      lockMs: 1000,
      types: ['telegram.send-message'],
    });
    expect(claimed?.id).toBe(id);
  });

  it('answers 409 for a job that is not dead, and leaves it alone', async () => {
    await sendMessage('a');
    const [job] = (await get('/admin/jobs')).json().jobs;
    const response = await retry(job.id);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      error: 'job_not_dead',
      message: `job ${job.id} is pending; only dead jobs can be retried`,
    });
    expect((await get('/admin/jobs')).json().jobs[0]).toEqual(job);
    expect(wakeUps).toBe(0);
  });

  it('answers 404 for an unknown job', async () => {
    const response = await retry(4242);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'job_not_found', message: 'no job 4242' });
  });

  it.each(['abc', '0', '-1', '1.5', '9007199254740992', '100000000000000000000'])(
    'answers 400 invalid_request for the id %s',
    async (id) => {
      const response = await retry(id);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', message: expect.any(String) });
    },
  );

  it('answers 404 for the largest id it takes, on either database', async () => {
    const response = await retry('9007199254740991');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'job_not_found', message: 'no job 9007199254740991' });
  });
});
