import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';
import { createShutdown } from '../src/shutdown.ts';
import { startServiceProcess, startServiceProcessToExit } from './support/service-process.ts';
import { createTestApp, LogCapture, type TestApp, testEnv } from './support/test-app.ts';
import { testDialect } from './support/test-database.ts';
import { textUpdate } from './support/updates.ts';

const HOST = '127.0.0.1';

/** Resolves with the error of a TCP connection attempt, or rejects if the connection is accepted. */
function connectionError(port: number): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`a new connection to port ${port} was accepted`));
    });
    socket.once('error', resolve);
  });
}

/**
 * Turns the event loop until the listener is closed. Fastify closes it a few callbacks after
 * `close()` starts; this waits on those callbacks, never on the wall clock.
 */
async function untilNotListening(server: Server): Promise<void> {
  for (let turn = 0; server.listening; turn++) {
    if (turn > 1000) throw new Error('the listener is still open');
    await new Promise(setImmediate);
  }
}

async function bodyOf(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}

describe('graceful shutdown of a real listener', () => {
  /** Frees what a failed test left open; closing twice is harmless. */
  const leftOpen: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of leftOpen.splice(0)) await close();
  });

  it('finishes an in-flight request, refuses new connections, closes the database, exits 0', async () => {
    const config = loadConfig(testEnv());
    const db = await openDatabase(config.databaseUrl);
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    const app = await buildApp(config, { db, logger });
    leftOpen.push(
      () => app.close(),
      () => db.destroy(),
    );
    await app.listen({ port: 0, host: HOST });
    const { port } = app.server.address() as AddressInfo;

    const exits: number[] = [];
    const shutdown = createShutdown({
      app,
      closeAfterServer: [() => db.destroy()],
      graceMs: 60_000,
      logger,
      exit: (code) => exits.push(code),
    });

    // Headers and half of the body now; the other half once shutdown has begun.
    const body = Buffer.from(JSON.stringify(textUpdate('/aide')));
    const half = Math.floor(body.length / 2);
    const arrived = once(app.server, 'request');
    const request = httpRequest({
      host: HOST,
      port,
      method: 'POST',
      path: '/telegram/update',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        'x-bot-slug': 'etm-terrain',
      },
    });
    leftOpen.unshift(async () => request.destroy());
    const responded = once(request, 'response') as Promise<[IncomingMessage]>;
    request.write(body.subarray(0, half));
    await arrived;

    const stopped = shutdown('test');
    await untilNotListening(app.server);
    expect((await connectionError(port)).code).toBe('ECONNREFUSED');
    expect(exits).toEqual([]); // still waiting for the in-flight request

    request.end(body.subarray(half));
    const [response] = await responded;
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(await bodyOf(response))).toEqual({ text: expect.stringMatching(/\S/) });

    await stopped;
    expect(exits).toEqual([0]);
    expect((await connectionError(port)).code).toBe('ECONNREFUSED');
    await expect(db.selectFrom('processed_updates').selectAll().execute()).rejects.toThrow();
    expect(logs.lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });
});

describe('createShutdown', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const silent = createLogger('silent');

  it('exits with 1 once the grace period is over when closing never ends', () => {
    vi.useFakeTimers();
    const exits: number[] = [];
    const shutdown = createShutdown({
      app: { close: () => new Promise(() => undefined) },
      closeAfterServer: [],
      graceMs: 5000,
      logger: silent,
      exit: (code) => exits.push(code),
    });
    void shutdown('SIGTERM');
    vi.advanceTimersByTime(4999);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([1]);
  });

  it('closes the server first, then the rest in order, once however often it is called', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const shutdown = createShutdown({
      app: {
        close: async () => {
          order.push('server');
        },
      },
      closeAfterServer: [
        async () => {
          order.push('worker');
        },
        async () => {
          order.push('database');
        },
      ],
      graceMs: 5000,
      logger: silent,
      exit: (code) => exits.push(code),
    });
    await Promise.all([shutdown('SIGTERM'), shutdown('SIGINT')]);
    expect(order).toEqual(['server', 'worker', 'database']);
    expect(exits).toEqual([0]);
  });

  it('exits with 1 when closing fails, without waiting for the grace period', async () => {
    const exits: number[] = [];
    const shutdown = createShutdown({
      app: { close: async () => undefined },
      closeAfterServer: [() => Promise.reject(new Error('disk gone'))],
      graceMs: 60_000,
      logger: silent,
      exit: (code) => exits.push(code),
    });
    await shutdown('SIGTERM');
    expect(exits).toEqual([1]);
  });
});

// The child service runs on SQLite in memory whatever the project: once is enough.
describe.runIf(testDialect === 'sqlite')('the settings file (ENV_FILE, else .env)', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'etm-env-file-'));
  });
  afterEach(async () => rm(folder, { recursive: true, force: true }));

  it('stops the service with 78 when ENV_FILE names a file that does not exist', async () => {
    const missing = join(folder, 'prod.env');
    const stopped = await startServiceProcessToExit({ env: { ENV_FILE: missing } });
    expect(stopped.code, stopped.stderr.join('\n')).toBe(78);
    expect(stopped.stderr).toContain(
      `  - ENV_FILE is invalid: ${missing} does not exist (unset ENV_FILE to read .env, if there is one)`,
    );
    // It stopped before anything started: no log line, no demo mode.
    expect(stopped.logs).toEqual([]);
  });

  it('reads the file ENV_FILE names, the environment winning over it', async () => {
    const file = join(folder, 'prod.env');
    await writeFile(file, 'REPORT_TIMEZONE=America/Montreal\nDECK_BOARD=Depuis le fichier\n');
    const service = await startServiceProcess({
      env: { ENV_FILE: file, DECK_BOARD: 'Depuis l’environnement' },
    });
    try {
      const started = await service.waitForLog((line) => line.msg === 'etm-terrain started');
      expect(started.config).toMatchObject({
        reportTimezone: 'America/Montreal',
        deckBoard: 'Depuis l’environnement',
      });
    } finally {
      await service.stop();
    }
  });
});

describe('health endpoints', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('answers /healthz 200 whatever the database does', async () => {
    t = await createTestApp();
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    await t.db.destroy();
    const response = await get('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 while the database takes writes, 503 with a reason once it is closed', async () => {
    t = await createTestApp();
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', assistant: 'starting' } });

    await t.db.destroy();
    const closed = await get('/readyz');
    expect(closed.statusCode).toBe(503);
    expect(closed.json()).toEqual({
      status: 'unavailable',
      checks: { database: expect.stringMatching(/^database not writable: .+/), assistant: 'starting' },
    });
  });

  it('answers /readyz 503, not 500, once the database is closed while Nextcloud is configured', async () => {
    t = await createTestApp({
      NEXTCLOUD_URL: 'http://127.0.0.1:9',
      NEXTCLOUD_USER: 'etm',
      NEXTCLOUD_PASSWORD: 'fake-app-password',
    });
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ database: 'ok', assistant: 'starting', nextcloud: 'ok' });

    await t.db.destroy();
    const closed = await get('/readyz');
    expect(closed.statusCode, closed.body).toBe(503);
    expect(closed.json()).toEqual({
      status: 'unavailable',
      checks: {
        database: expect.stringMatching(/^database not writable/),
        assistant: 'starting',
        nextcloud: 'unknown: kept in the database, which fails',
      },
    });
  });

  // PRAGMA query_only is SQLite's; PostgreSQL's default_transaction_read_only reaches new sessions only.
  it.runIf(testDialect === 'sqlite')(
    'answers /readyz 503 while the database is read-only, and 200 again once it is writable',
    async () => {
      t = await createTestApp();
      await sqlQueryOnly(t, true);
      const readOnly = await get('/readyz');
      expect(readOnly.statusCode).toBe(503);
      expect(readOnly.json().checks.database).toMatch(/^database not writable: .*readonly/);

      await sqlQueryOnly(t, false);
      expect((await get('/readyz')).statusCode).toBe(200);
    },
  );
});

/** SQLite's own switch for refusing writes: the closest stand-in for a full or read-only disk. */
async function sqlQueryOnly(t: TestApp, on: boolean): Promise<void> {
  await sql`PRAGMA query_only = ${sql.raw(on ? 'ON' : 'OFF')}`.execute(t.db);
}
