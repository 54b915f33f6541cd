import { existsSync, readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
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
