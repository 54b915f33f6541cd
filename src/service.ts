import type { Logger } from 'pino';
import { type App, buildApp } from './app.ts';
import { type Background, createBackground, enqueueStartupJobs } from './background.ts';
import { type Config, redactedConfig } from './config.ts';
import { type Db, openDatabase } from './db/database.ts';
import { isPostgresUrl } from './db/postgres.ts';
import { createLogger } from './logger.ts';
import { type JobListener, listenForJobs } from './queue/job-notifications.ts';
import { createMetrics } from './metrics/metrics.ts';
import { createShutdown } from './shutdown.ts';

export interface Service {
  readonly app: App;
  readonly db: Db;
  readonly background: Background;
  readonly logger: Logger;
  /** Graceful stop: stop accepting, finish requests and jobs, close everything, then `exit`. */
  readonly shutdown: (reason: string) => Promise<void>;
}

export interface ServiceOptions {
  readonly logger?: Logger;
  /** Called with the exit code once stopped (the entry point exits the process). */
  readonly exit?: (code: number) => void;
  /** Registers more routes before listening (the sandbox's pages). */
  readonly extend?: (app: App, service: Omit<Service, 'shutdown'>) => Promise<void>;
}

/** The whole service: database, background worker, HTTP app, listening; the entry point's body. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onPoolError: (error) => {
      logger.warn({ err: error }, 'a PostgreSQL connection broke; the pool opens a new one');
    },
  });
  const clock = () => new Date();
  const metrics = createMetrics({ db, clock });
  const background = createBackground(config, db, logger, clock, metrics);
  const app = await buildApp(config, {
    db,
    logger,
    clock,
    metrics,
    assistantStatus: background.assistantStatus,
    wakeWorker: () => {
      background.worker.wake();
    },
  });
  await options.extend?.(app, { app, db, background, logger });
  const listener = config.worker.enabled
    ? await listenToOtherReplicas(config, background, logger)
    : undefined;
  const shutdown = createShutdown({
    app,
    closeAfterServer: [
      async () => listener?.close(),
      () => background.worker.stop(config.shutdownGraceMs),
      () => background.close(),
      () => db.destroy(),
    ],
    graceMs: config.shutdownGraceMs,
    logger,
    exit: options.exit ?? (() => undefined),
  });
  await enqueueStartupJobs(config, db, clock());
  if (config.worker.enabled) {
    background.worker.start();
    // The id in the jobs' locked_by column: which pod holds a job (GET /admin/jobs).
    logger.info({ workerId: background.worker.id }, 'worker started');
  }
  await app.listen({ port: config.port, host: config.host });
  logger.info({ config: redactedConfig(config) }, 'etm-terrain started');
  warnAboutDisabledParts(config, logger);
  return { app, db, background, logger, shutdown };
}

/** On PostgreSQL, a job another replica enqueues wakes this one's idle worker at once. */
async function listenToOtherReplicas(
  config: Config,
  background: Background,
  logger: Logger,
): Promise<JobListener | undefined> {
  if (!isPostgresUrl(config.databaseUrl)) return undefined;
  return listenForJobs(config.databaseUrl, {
    onJob: () => {
      background.worker.wake();
    },
    onError: (error) => {
      logger.warn({ err: error }, 'job notifications interrupted; polling until they are back');
    },
  });
}

function warnAboutDisabledParts(config: Config, logger: Logger): void {
  if (config.demo) {
    logger.warn(
      'BOTS is unset: serving the demo slug "demo" only. Outgoing calls (Telegram, Nextcloud, Ollama) are OFF until configured; updates are recorded and answered.',
    );
  }
  if (!config.nextcloud)
    logger.warn('NEXTCLOUD_URL is unset: archiving and Deck cards are off until configured');
}
