import type { App } from '../../src/app.ts';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.ts';
import { type Background, createBackground } from '../../src/background.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { freshDatabaseUrl } from './test-database.ts';

/** Fake but well-formed credentials: never real ones in tests. */
export const FAKE_TOKEN = '123456:TEST-fake-token-not-real';

export const testEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
  BOTS: 'etm-terrain',
  BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN,
  DATABASE_URL: 'sqlite::memory:',
  LOG_LEVEL: 'silent',
  // Tests that need the assistant start an Ollama stand-in and turn it on.
  ASSISTANT_ENABLED: 'false',
  ...overrides,
});

/** Collects every log line as parsed JSON, so tests can assert on what was logged. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    this.raw.push(text);
    for (const line of text.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}

export interface TestApp {
  readonly app: Awaited<ReturnType<typeof buildApp>>;
  readonly db: Db;
  readonly config: Config;
  readonly logs: LogCapture;
  readonly clock: { now: Date };
  /**
   * The service's worker and its remote clients (`createBackground`), on the same clock, when
   * asked for: tests drain it with `background.worker.runOnce()`, never by starting its loop.
   */
  readonly background: Background | undefined;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Build the background worker as the server does (point `TELEGRAM_API_URL` at a stand-in). */
  readonly background?: boolean;
}

/** A full app on a fresh database (test/support/test-database.ts) with a settable clock and captured logs. */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const config = loadConfig(testEnv({ DATABASE_URL: await freshDatabaseUrl(), ...overrides }));
  const db = await openDatabase(config.databaseUrl);
  const logs = new LogCapture();
  const clock = { now: new Date('2026-03-25T14:30:00Z') };
  const logger = createLogger(config.logLevel, logs);
  const background = options.background ? createBackground(config, db, logger, () => clock.now) : undefined;
  const app = await buildApp(config, {
    db,
    logger,
    clock: () => clock.now,
    // As src/service.ts wires it: `starting` until a background exists.
    assistantStatus: () => background?.assistantStatus() ?? 'starting',
  });
  await app.ready();
  return {
    app,
    db,
    config,
    logs,
    clock,
    background,
    async close() {
      await app.close();
      await background?.close();
      await db.destroy();
    },
  };
}

/** POSTs an Update (an object, or a raw body as a string) to the gateway route, as the gateway does. */
export function postUpdate(
  app: Pick<App, 'inject'>,
  body: unknown,
  options: { slug?: string; headers?: Record<string, string> } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/telegram/update',
    headers: {
      'content-type': 'application/json',
      'x-bot-slug': options.slug ?? 'etm-terrain',
      ...options.headers,
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
