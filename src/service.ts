import type { Logger } from 'pino';
import { allJobTypes } from './job-kinds.ts';
import { type App, buildApp } from './app.ts';
import { type Background, createBackground, enqueueStartupJobs } from './background.ts';
import { type Config, redactedConfig } from './config.ts';
import { type Db, openDatabase } from './db/database.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics/metrics.ts';
import { createShutdown } from './shutdown.ts';

export interface Service {
  readonly app: App;
  readonly db: Db;
  readonly background: Background;
  readonly logger: Logger;
  /** Graceful stop: stop accepting, finish requests and jobs, close everything, then `exit`. */
  readonly shutdown: (reason: string, exitCode?: number) => Promise<void>;
}

/** Time after SHUTDOWN_GRACE_MS for aborted handlers to return and their jobs to be released. */
export const SHUTDOWN_MARGIN_MS = 4_000;

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
  const db = await openDatabase(config.databaseUrl);
  const clock = () => new Date();
  const metrics = createMetrics({ db, clock, jobTypes: allJobTypes });
  const background = createBackground(config, db, logger, clock, metrics);
  // The worker stops itself when it cannot record an outcome: the process goes with it (exit 1),
  // so the orchestrator restarts it instead of leaving a service that no longer runs jobs.
  background.worker.onHalt(() => void shutdown('the worker could not record a job outcome', 1));
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
  const shutdown = createShutdown({
    app,
    closeAfterServer: [
      () => background.worker.stop(config.shutdownGraceMs),
      () => background.close(),
      () => db.destroy(),
    ],
    // Longer than the worker's own stop (grace, then aborting handlers and releasing their
    // jobs), so running jobs are handed back before the process exits.
    graceMs: config.shutdownGraceMs + SHUTDOWN_MARGIN_MS,
    logger,
    exit: options.exit ?? (() => undefined),
  });
  await enqueueStartupJobs(config, db, clock());
  if (config.worker.enabled) background.worker.start();
  await app.listen({ port: config.port, host: config.host });
  logger.info({ config: redactedConfig(config) }, 'etm-terrain started');
  warnAboutDisabledParts(config, logger);
  return { app, db, background, logger, shutdown };
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
