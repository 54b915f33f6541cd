import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';

/**
 * Prints the bot slugs configured for the real service, space-separated, or nothing: what the
 * Makefile asks to choose between the sandbox (no bot) and the real service. Reads BOTS as the
 * service does (src/server.ts): the environment wins over the env file (ENV_FILE, default .env),
 * and an empty value counts as unset. A file ENV_FILE names that does not exist stops it with 78,
 * as it stops the service, rather than choosing the sandbox for want of its bots.
 */
const named = process.env.ENV_FILE?.trim() || undefined;
const file = named ?? '.env';
if (named !== undefined && !existsSync(file)) {
  process.stderr.write(
    `ENV_FILE is invalid: ${resolve(file)} does not exist (unset ENV_FILE to read .env, if there is one)\n`,
  );
  process.exit(78);
}
const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
const bots = (process.env.BOTS ?? fromFile.BOTS ?? '')
  .split(',')
  .map((slug) => slug.trim())
  .filter((slug) => slug !== '');
process.stdout.write(bots.join(' '));
