import { pino } from 'pino';
import type { Db } from '../../src/db/database.ts';
import { decideFailure } from '../../src/job-failure.ts';
import type { HandlerSet } from '../../src/queue/job-handler.ts';
import { Worker } from '../../src/queue/worker.ts';
import { createBotApiClient } from '../../src/telegram/bot-api-client.ts';
import { type TelegramBot, telegramHandlers } from '../../src/telegram/telegram-handlers.ts';
import { STAND_IN_TOKEN } from '../../stand-ins/telegram-stand-in.ts';

export interface TestWorkerOptions {
  readonly db: Db;
  readonly handlers: HandlerSet;
  readonly clock: () => Date;
  /** The backoff's jitter (0 to 1): fixed, so that retry times are known. Default 0. */
  readonly jitter?: number;
}

/**
 * A worker with the service's retry policy (src/background.ts), one job at a time and silent,
 * for tests that drain it with `runOnce`, never by starting its loop.
 */
export function testWorker(options: TestWorkerOptions): Worker {
  const jitter = options.jitter ?? 0;
  return new Worker({
    db: options.db,
    handlers: options.handlers,
    decide: decideFailure,
    clock: options.clock,
    logger: pino({ level: 'silent' }),
    concurrency: 1,
    random: () => jitter,
  });
}

/**
 * A worker that runs the Telegram jobs of bot `etm` against a Telegram stand-in at `apiUrl`, with
 * a client of its own: a fresh process, or another replica when given another database handle.
 */
export function telegramTestWorker(options: {
  readonly db: Db;
  readonly apiUrl: string;
  readonly clock: () => Date;
  readonly jitter?: number;
}): Worker {
  const client = createBotApiClient({ apiUrl: options.apiUrl, token: STAND_IN_TOKEN });
  const bots = new Map<string, TelegramBot>([['etm', { client }]]);
  return testWorker({ ...options, handlers: telegramHandlers({ db: options.db, bots }) });
}
