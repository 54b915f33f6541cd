import type { Logger } from 'pino';
import { allJobTypes } from './job-kinds.ts';
import { type App, buildApp } from './app.ts';
import type { Background } from './background.ts';
import { type Config, redactedConfig } from './config.ts';
import { type Db, openDatabase } from './db/database.ts';
import { isPostgresUrl } from './db/postgres.ts';
import { createLogger } from './logger.ts';
import { type JobListener, listenForJobs } from './queue/job-notifications.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
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
  /**
   * Called with the graceful stop as soon as it exists, before the server listens: a SIGTERM that
   * comes while the worker is still loading must stop the service gracefully too.
   */
  readonly onStoppable?: (shutdown: Service['shutdown']) => void;
  /** Registers more routes before listening (the sandbox's pages). */
  readonly extend?: (app: App, service: Pick<Service, 'app' | 'db' | 'logger'>) => Promise<void>;
}

/**
 * The whole service: database, HTTP app, listening, then the background worker; the entry point's
 * body. The worker and its remote clients (Telegram, Nextcloud, Ollama) are loaded once the server
 * listens: they are half of the modules, and updates recorded meanwhile wait in the jobs table,
 * which the worker reads when it starts.
 */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onPoolError: (error) => {
      logger.warn({ err: error }, 'a PostgreSQL connection broke; the pool opens a new one');
    },
  });
  const clock = () => new Date();
  const metrics = createMetrics({ db, clock, jobTypes: allJobTypes });
  // Set once the server listens (see above); until then there is no worker to wake.
  const started: { background?: Background; listener?: JobListener | undefined } = {};
  const app = await buildApp(config, {
    db,
    logger,
    clock,
    metrics,
    assistantStatus: () => started.background?.assistantStatus() ?? 'starting',
    wakeWorker: () => {
      started.background?.worker.wake();
    },
  });
  await options.extend?.(app, { app, db, logger });
  const shutdown = createShutdown({
    app,
    closeAfterServer: [
      async () => started.listener?.close(),
      async () => started.background?.worker.stop(config.shutdownGraceMs),
      async () => started.background?.close(),
      () => db.destroy(),
    ],
    // Longer than the worker's own stop (grace, then aborting handlers and releasing their
    // jobs), so running jobs are handed back before the process exits.
    graceMs: config.shutdownGraceMs + SHUTDOWN_MARGIN_MS,
    logger,
    exit: options.exit ?? (() => undefined),
  });
  options.onStoppable?.(shutdown);
  await app.listen({ port: config.port, host: config.host });
  const background = await startBackground(config, db, logger, clock, metrics);
  started.background = background;
  // The worker stops itself when it cannot record an outcome: the process goes with it (exit 1),
  // so the orchestrator restarts it instead of leaving a service that no longer runs jobs.
  background.worker.onHalt(() => void shutdown('the worker could not record a job outcome', 1));
  if (config.worker.enabled) started.listener = await listenToOtherReplicas(config, background, logger);
  logger.info({ config: redactedConfig(config) }, 'etm-terrain started');
  warnAboutDisabledParts(config, logger);
  return { app, db, background, logger, shutdown };
}

async function startBackground(
  config: Config,
  db: Db,
  logger: Logger,
  clock: () => Date,
  metrics: Metrics,
): Promise<Background> {
  const { createBackground, enqueueStartupJobs } = await import('./background.ts');
  const background = createBackground(config, db, logger, clock, metrics);
  await enqueueStartupJobs(config, db, clock());
  if (config.worker.enabled) {
    background.worker.start();
    // The id in the jobs' locked_by column: which pod holds a job (GET /admin/jobs).
    logger.info({ workerId: background.worker.id }, 'worker started');
  }
  return background;
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
