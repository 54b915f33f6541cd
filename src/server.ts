import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { startService } from './service.ts';

/** Entry point: environment (+ optional .env) → config → service; signals stop it gracefully. */
async function main(): Promise<void> {
  const config = configOrExit();
  const service = await startService(config, { exit: (code) => process.exit(code) });
  process.once('SIGTERM', () => void service.shutdown('SIGTERM'));
  process.once('SIGINT', () => void service.shutdown('SIGINT'));
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

await main();
