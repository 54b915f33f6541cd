import { existsSync, readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { resolve } from 'node:path';
import type { Config } from './config.ts';

// Keeps V8's compiled code of every module on disk (in the OS temporary folder), so a restart
// skips compiling what it loads (the bundle's chunks in dist/, or the thousand files of the
// sources): https://nodejs.org/api/module.html#module-compile-cache
// It must be on before they are imported, hence the dynamic imports below.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache();
const { parse: parseDotenv } = await import('dotenv');
const { ConfigError, loadConfig } = await import('./config.ts');
const { startService } = await import('./service.ts');

/** Entry point: environment (+ optional .env) → config → service; signals stop it gracefully. */
async function main(): Promise<void> {
  const config = configOrExit();
  await startService(config, {
    exit: (code) => process.exit(code),
    onStoppable: (shutdown) => {
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    },
  });
}

/**
 * The real environment wins over `.env`, as in every dotenv setup. A missing `.env` is skipped;
 * the file ENV_FILE names must be there: without it the service would start on other settings
 * (demo mode, SQLite) while the operator believes it read theirs. An empty ENV_FILE is unset.
 */
function environment(): Record<string, string | undefined> {
  const named = process.env.ENV_FILE?.trim() || undefined;
  if (named === undefined && !existsSync('.env')) return { ...process.env };
  return { ...parseDotenv(readEnvFile(named ?? '.env', named !== undefined)), ...process.env };
}

function readEnvFile(file: string, named: boolean): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const what = named ? 'ENV_FILE is invalid' : '.env cannot be read';
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    const hint = named ? ' (unset ENV_FILE to read .env, if there is one)' : '';
    throw new ConfigError([`${what}: ${resolve(file)} ${why}${hint}`]);
  }
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
