import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';

/**
 * Prints the bot slugs configured for the real service, space-separated, or nothing: what the
 * Makefile asks to choose between the sandbox (no bot) and the real service. Reads BOTS as the
 * service does (src/server.ts): the environment wins over the env file (ENV_FILE, default .env),
 * and an empty value counts as unset.
 */
const file = process.env.ENV_FILE ?? '.env';
const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
const bots = (process.env.BOTS ?? fromFile.BOTS ?? '')
  .split(',')
  .map((slug) => slug.trim())
  .filter((slug) => slug !== '');
process.stdout.write(bots.join(' '));
