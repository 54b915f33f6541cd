import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import { memoryDatabase } from '../support/database.ts';
import { testEnv } from '../support/test-app.ts';

let app: App;
let db: Db;
let wakeUps = 0;
afterEach(async () => {
  await app.close();
  await db.destroy();
});

async function start(assistant: 'true' | 'false') {
  const config = loadConfig(testEnv({ ADMIN_TOKEN, ASSISTANT_ENABLED: assistant }));
  db = await memoryDatabase();
  wakeUps = 0;
  app = await buildApp(config, {
    db,
    logger: createLogger('silent'),
    wakeWorker: () => {
      wakeUps++;
    },
  });
}

const sync = (headers: Record<string, string> = ADMIN_AUTH) =>
  app.inject({ method: 'POST', url: '/admin/assistant/sync', headers });

describe('POST /admin/assistant/sync', () => {
  it('queues a knowledge sync and wakes the worker', async () => {
    await start('true');
    const response = await sync();
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: true });
    expect(await db.selectFrom('jobs').select(['type', 'state']).execute()).toEqual([
      { type: 'assistant.sync', state: 'pending' },
    ]);
    expect(wakeUps).toBe(1);
  });

  it('answers 409 when the assistant is off, and 401 without the token', async () => {
    await start('false');
    const off = await sync();
    expect(off.statusCode).toBe(409);
    expect(off.json().error).toBe('assistant_off');
    expect((await sync({})).statusCode).toBe(401);
    expect(await db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });
});
