import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import type { JobState } from '../db/schema.ts';
import type { DispatchOutcome } from '../dispatch/dispatch-update.ts';
import type { JobOutcome } from '../queue/worker.ts';

/** SQLite counts in numbers; PostgreSQL's drivers give bigint or text. */
type Count = number | bigint | string;

/**
 * The service's Prometheus metrics. Each app instance has its own registry (tests build many
 * apps in one process); Node's process metrics live in one registry per process, since they
 * describe the process, and both are merged at scrape time.
 *
 * No label ever carries a user id, a chat id, a token or a raw URL: label values come from
 * fixed sets (update kinds, outcomes, job types and states, route patterns, Bot API methods).
 */

export type UpdateKind = 'message' | 'edited_message' | 'callback_query' | 'other';
/** `failed`: the update could not be recorded (503); the gateway sends it again. */
export type UpdateOutcome = DispatchOutcome | 'failed';

export interface Metrics {
  /** One HTTP response, labelled by the route's pattern (never the raw URL). */
  httpResponse(method: string, route: string | undefined, statusCode: number, durationMs: number): void;
  updateReceived(kind: UpdateKind, outcome: UpdateOutcome): void;
  /** The worker's `onJobEnd`. */
  jobEnded(type: string, outcome: JobOutcome, durationMs: number): void;
  /** An album closed into a report with this many items. */
  albumClosed(items: number): void;
  /** Telegram answered 429 to this Bot API method (e.g. `sendMessage`). */
  telegramRateLimited(method: string): void;
  /** The Prometheus text exposition; reads job gauges from the database first. */
  exposition(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  readonly db: Db;
  readonly clock: () => Date;
  /** Job types shown at zero before any job of theirs exists. */
  readonly jobTypes?: readonly string[];
}

const JOB_STATES: readonly JobState[] = ['pending', 'running', 'done', 'dead'];
const UNMATCHED_ROUTE = '(unmatched)';
const BOT_API_METHOD = /^[A-Za-z]{1,40}$/;

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'etm_http_request_duration_seconds',
    help: 'HTTP response time by route pattern, method and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const updates = new Counter({
    name: 'etm_updates_total',
    help: 'Telegram updates received from the gateway, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'etm_job_duration_seconds',
    help: 'Time a job ran in the worker, by type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const jobRetries = new Counter({
    name: 'etm_job_retries_total',
    help: 'Job attempts that failed and were scheduled again, by type.',
    labelNames: ['type'] as const,
    registers,
  });
  const jobsDead = new Counter({
    name: 'etm_jobs_dead_total',
    help: 'Jobs that failed for good (they wait in the admin API for a retry), by type.',
    labelNames: ['type'] as const,
    registers,
  });
  const albumSize = new Histogram({
    name: 'etm_album_size',
    help: 'Items in an album when it closed into a report.',
    buckets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    registers,
  });
  const rateLimited = new Counter({
    name: 'etm_telegram_rate_limited_total',
    help: 'Bot API calls Telegram answered with 429, by method.',
    labelNames: ['method'] as const,
    registers,
  });
  const scrapeErrors = new Counter({
    name: 'etm_metrics_database_errors_total',
    help: 'Scrapes whose job gauges could not be read from the database.',
    registers,
  });
  const jobs = new Gauge({
    name: 'etm_jobs',
    help: 'Jobs in the database by type and state, read at scrape time.',
    labelNames: ['type', 'state'] as const,
    registers,
  });
  const queueLag = new Gauge({
    name: 'etm_queue_lag_seconds',
    help: 'Age of the oldest pending job that is due (0 when none waits), read at scrape time.',
    registers,
  });

  /** Reads the job gauges; on a database error they are left out (lag NaN) and the error is counted. */
  async function collectJobGauges(): Promise<void> {
    jobs.reset();
    queueLag.reset();
    try {
      const now = options.clock().getTime();
      const [counts, oldestDue] = await Promise.all([jobCounts(options.db), oldestDueRunAt(options.db, now)]);
      for (const type of options.jobTypes ?? []) {
        for (const state of JOB_STATES) jobs.set({ type, state }, 0);
      }
      for (const row of counts) jobs.set({ type: row.type, state: row.state }, row.count);
      queueLag.set(oldestDue === undefined ? 0 : Math.max(0, now - oldestDue) / 1000);
    } catch {
      // Unknown, not zero: an unlabelled gauge always shows a value, and 0 would read "no lag".
      jobs.reset();
      queueLag.set(Number.NaN);
      scrapeErrors.inc();
    }
  }

  return {
    httpResponse(method, route, statusCode, durationMs) {
      httpDuration.observe(
        { method, route: route ?? UNMATCHED_ROUTE, status_code: String(statusCode) },
        durationMs / 1000,
      );
    },
    updateReceived(kind, outcome) {
      updates.inc({ kind, outcome });
    },
    jobEnded(type, outcome, durationMs) {
      jobDuration.observe({ type, outcome }, durationMs / 1000);
      if (outcome === 'retry') jobRetries.inc({ type });
      if (outcome === 'dead') jobsDead.inc({ type });
    },
    albumClosed(items) {
      albumSize.observe(items);
    },
    telegramRateLimited(method) {
      rateLimited.inc({ method: BOT_API_METHOD.test(method) ? method : 'other' });
    },
    async exposition() {
      await collectJobGauges();
      return Registry.merge([processRegistry(), registry]).metrics();
    },
    contentType: registry.contentType,
  };
}

let processMetrics: Registry | undefined;

/** Node's default metrics, registered once per process: they observe the process, not an app. */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

async function jobCounts(db: Db): Promise<{ type: string; state: JobState; count: number }[]> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['type', 'state', eb.fn.countAll<Count>().as('count')])
    .groupBy(['type', 'state'])
    .execute();
  return rows.map((row) => ({ ...row, count: Number(row.count) }));
}

async function oldestDueRunAt(db: Db, now: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min('run_at').as('oldest'))
    .where('state', '=', 'pending')
    .where('run_at', '<=', now)
    .executeTakeFirst();
  return row?.oldest ?? undefined;
}

/** The update kind label: the payload field an Update carries, or `other`. */
export function updateKind(update: object): UpdateKind {
  if ('message' in update) return 'message';
  if ('edited_message' in update) return 'edited_message';
  if ('callback_query' in update) return 'callback_query';
  return 'other';
}
