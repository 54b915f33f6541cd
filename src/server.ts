import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { buildApp } from './app.ts';
import { createBackground, enqueueStartupJobs } from './background.ts';
import { type Config, ConfigError, loadConfig, redactedConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createLogger } from './logger.ts';
import { createShutdown } from './shutdown.ts';

/** Entry point: environment (+ optional .env) → config → database → app → listen. */
async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config.databaseUrl);
  const clock = () => new Date();
  const background = createBackground(config, db, logger, clock);
  const app = await buildApp(config, {
    db,
    logger,
    clock,
    wakeWorker: () => {
      background.worker.wake();
    },
  });
  const shutdown = createShutdown({
    app,
    closeAfterServer: [
      () => background.worker.stop(config.shutdownGraceMs),
      () => background.close(),
      () => db.destroy(),
    ],
    graceMs: config.shutdownGraceMs,
    logger,
    exit: (code) => process.exit(code),
  });
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await enqueueStartupJobs(config, db, clock());
  if (config.worker.enabled) background.worker.start();
  await app.listen({ port: config.port, host: config.host });
  logger.info({ config: redactedConfig(config) }, 'etm-terrain started');
  warnAboutDisabledParts(config, logger);
}

/** The real environment wins over `.env`, as in every dotenv setup. */
function environment(): Record<string, string | undefined> {
  const file = process.env.ENV_FILE ?? '.env';
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

function configOrExit(): Config {
  try {
    return loadConfig(environment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every setting.\n`);
    process.exit(78); // EX_CONFIG
  }
}

function warnAboutDisabledParts(config: Config, logger: ReturnType<typeof createLogger>): void {
  if (config.demo) {
    logger.warn(
      'BOTS is unset: serving the demo slug "demo" only. Outgoing calls (Telegram, Nextcloud, Ollama) are OFF until configured; updates are recorded and answered.',
    );
  }
  if (!config.nextcloud)
    logger.warn('NEXTCLOUD_URL is unset: archiving and Deck cards are off until configured');
}

await main();
