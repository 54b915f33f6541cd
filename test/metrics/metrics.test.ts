import { beforeEach, describe, expect, it } from 'vitest';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { allJobTypes } from '../../src/job-kinds.ts';
import { createMetrics, type Metrics, updateKind } from '../../src/metrics/metrics.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { claimNextJob, failJob } from '../../src/queue/job-store.ts';
import { databaseEachTest } from '../support/database.ts';
import { parseExposition, value } from '../support/prometheus.ts';

const t = databaseEachTest('2026-03-25T14:30:00Z');
let metrics: Metrics;
beforeEach(() => {
  metrics = createMetrics({ db: t.db, clock: t.clock.now, jobTypes: allJobTypes });
});

const scrape = async () => parseExposition(await metrics.exposition());
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

describe('createMetrics', () => {
  it('exposes Node process metrics with its own', async () => {
    const exposition = await scrape();
    expect(exposition.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(exposition.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(exposition.types.get('etm_updates_total')).toBe('counter');
  });

  it('keeps each instance apart: two apps in one process count on their own', async () => {
    const other = createMetrics({ db: t.db, clock: t.clock.now });
    metrics.updateReceived('message', 'handled');
    metrics.updateReceived('message', 'handled');
    other.updateReceived('message', 'handled');
    expect(value(await scrape(), 'etm_updates_total', { kind: 'message', outcome: 'handled' })).toBe(2);
    const theirs = parseExposition(await other.exposition());
    expect(value(theirs, 'etm_updates_total', { kind: 'message', outcome: 'handled' })).toBe(1);
  });

  it('reads jobs by type and state from the database at scrape time, zero for the known empty ones', async () => {
    await message('a');
    await message('b');
    await enqueue(
      t.db,
      telegramJobs['telegram.set-commands'],
      { idempotencyKey: 'c', payload: { slug: 'etm' } },
      t.clock.now(),
    );
    const job = await claimNextJob(t.db, {
      workerId: 'w',
      now: t.clock.now(),
      lockMs: 1000,
      types: ['telegram.set-commands'],
    });
    await failJob(t.db, job!, { action: 'fail', reason: 'x' }, t.clock.now());

    const exposition = await scrape();
    expect(value(exposition, 'etm_jobs', { type: 'telegram.send-message', state: 'pending' })).toBe(2);
    expect(value(exposition, 'etm_jobs', { type: 'telegram.set-commands', state: 'dead' })).toBe(1);
    expect(value(exposition, 'etm_jobs', { type: 'telegram.set-commands', state: 'pending' })).toBe(0);
    expect(value(exposition, 'etm_jobs', { type: 'report.process', state: 'running' })).toBe(0);

    await t.db.deleteFrom('jobs').execute();
    const after = await scrape();
    expect(value(after, 'etm_jobs', { type: 'telegram.send-message', state: 'pending' })).toBe(0);
  });

  it('measures the queue lag as the age of the oldest pending job that is due', async () => {
    expect(value(await scrape(), 'etm_queue_lag_seconds')).toBe(0);
    await message('due');
    t.clock.advance(1500);
    // Not due yet: a scheduled retry is not lag.
    await message('later', new Date(t.clock.now().getTime() + 60_000));
    t.clock.advance(1000);
    expect(value(await scrape(), 'etm_queue_lag_seconds')).toBe(2.5);
    await t.db.updateTable('jobs').set({ state: 'done' }).where('idempotency_key', '=', 'due').execute();
    expect(value(await scrape(), 'etm_queue_lag_seconds')).toBe(0);
  });

  it('counts a database failure at scrape time instead of failing the scrape', async () => {
    await t.db.schema.dropTable('jobs').execute();
    const exposition = await scrape();
    expect(value(exposition, 'etm_metrics_database_errors_total')).toBe(1);
    expect(value(exposition, 'etm_queue_lag_seconds')).toBeNaN();
    expect(
      value(exposition, 'etm_jobs', { type: 'telegram.send-message', state: 'pending' }),
    ).toBeUndefined();
    expect(exposition.types.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('records what the worker reports: durations by type and outcome, retries and dead jobs', async () => {
    metrics.jobEnded('telegram.send-message', 'done', 120);
    metrics.jobEnded('telegram.send-message', 'retry', 3000);
    metrics.jobEnded('telegram.send-message', 'retry', 10);
    metrics.jobEnded('report.process', 'dead', 50);
    const exposition = await scrape();
    const done = { type: 'telegram.send-message', outcome: 'done' };
    expect(value(exposition, 'etm_job_duration_seconds_count', done)).toBe(1);
    expect(value(exposition, 'etm_job_duration_seconds_sum', done)).toBe(0.12);
    expect(value(exposition, 'etm_job_duration_seconds_bucket', { ...done, le: '0.1' })).toBe(0);
    expect(value(exposition, 'etm_job_duration_seconds_bucket', { ...done, le: '0.25' })).toBe(1);
    expect(value(exposition, 'etm_job_retries_total', { type: 'telegram.send-message' })).toBe(2);
    expect(value(exposition, 'etm_jobs_dead_total', { type: 'report.process' })).toBe(1);
    expect(value(exposition, 'etm_jobs_dead_total', { type: 'telegram.send-message' })).toBeUndefined();
  });

  it('records album sizes and Telegram 429s by method, never an arbitrary string', async () => {
    metrics.albumClosed(3);
    metrics.albumClosed(10);
    metrics.telegramRateLimited('sendMessage');
    metrics.telegramRateLimited('sendMessage');
    metrics.telegramRateLimited('https://api.telegram.org/bot123:secret/sendMessage');
    const exposition = await scrape();
    expect(value(exposition, 'etm_album_size_count')).toBe(2);
    expect(value(exposition, 'etm_album_size_bucket', { le: '3' })).toBe(1);
    expect(value(exposition, 'etm_album_size_bucket', { le: '10' })).toBe(2);
    expect(value(exposition, 'etm_telegram_rate_limited_total', { method: 'sendMessage' })).toBe(2);
    expect(value(exposition, 'etm_telegram_rate_limited_total', { method: 'other' })).toBe(1);
  });

  it('labels HTTP responses by route pattern, and unmatched requests as such', async () => {
    metrics.httpResponse('GET', '/admin/reports/:id', 200, 4);
    metrics.httpResponse('GET', undefined, 404, 1);
    const exposition = await scrape();
    const labels = { method: 'GET', route: '/admin/reports/:id', status_code: '200' };
    expect(value(exposition, 'etm_http_request_duration_seconds_count', labels)).toBe(1);
    expect(
      value(exposition, 'etm_http_request_duration_seconds_count', {
        method: 'GET',
        route: '(unmatched)',
        status_code: '404',
      }),
    ).toBe(1);
  });
});

describe('updateKind', () => {
  it.each([
    [{ update_id: 1, message: {} }, 'message'],
    [{ update_id: 1, edited_message: {} }, 'edited_message'],
    [{ update_id: 1, callback_query: {} }, 'callback_query'],
    [{ update_id: 1, my_chat_member: {} }, 'other'],
    [{ update_id: 1 }, 'other'],
  ])('names %j %s', (update, kind) => {
    expect(updateKind(update)).toBe(kind);
  });
});
