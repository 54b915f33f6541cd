import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import {
  createTestApp,
  postUpdate,
  FAKE_TOKEN,
  LogCapture,
  type TestApp,
  testEnv,
} from './support/test-app.ts';
import { buttonUpdate, groupTextUpdate, textUpdate } from './support/updates.ts';

const BEARER_SECRET = 'SECRET-bearer-value-0123456789';
const TOKEN_SECRET = FAKE_TOKEN.split(':')[1]!;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestApp;
afterEach(async () => t.close());

const post = (body: unknown, headers: Record<string, string> = {}) => postUpdate(t.app, body, { headers });

/** The lines logged from a request's arrival to its completion (requests here run one at a time). */
function linesOfRequest(logs: LogCapture, reqId: string): Record<string, unknown>[] {
  const first = logs.lines.findIndex((line) => line.reqId === reqId && line.msg === 'incoming request');
  const last = logs.lines.findIndex((line) => line.reqId === reqId && line.msg === 'request completed');
  expect(first, `no "incoming request" line for ${reqId}`).toBeGreaterThanOrEqual(0);
  expect(last, `no "request completed" line for ${reqId}`).toBeGreaterThan(first);
  return logs.lines.slice(first, last + 1);
}

describe('secrets never reach the logs', () => {
  it('keeps the bot token and an Authorization header out of every line, errors included', async () => {
    t = await createTestApp({ LOG_LEVEL: 'trace' });
    const auth = { authorization: `Bearer ${BEARER_SECRET}` };
    const statuses = [
      (await post(textUpdate('/start'), auth)).statusCode,
      (await post(buttonUpdate('sav'), auth)).statusCode,
      (await post(groupTextUpdate('bonjour'), auth)).statusCode,
      (await post('{"update_id": ', auth)).statusCode,
      (await post(textUpdate('/start'), { ...auth, 'x-bot-slug': 'unknown-bot' })).statusCode,
      (await post(textUpdate('x'.repeat(1024 * 1024)), auth)).statusCode,
      (await t.app.inject({ method: 'GET', url: '/nope', headers: auth })).statusCode,
    ];
    await t.db.schema.dropTable('processed_updates').execute();
    statuses.push((await post(textUpdate('/start'), auth)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 400, 404, 413, 404, 503]);

    const text = t.logs.raw.join('');
    expect(t.logs.lines.length).toBeGreaterThan(statuses.length * 2);
    expect(text).toContain('"level":50'); // the 503 was logged as an error, with its cause
    expect(text).not.toContain(TOKEN_SECRET);
    expect(text).not.toContain(BEARER_SECRET);
  });

  it('keeps secrets out of the start-up line that logs the configuration', () => {
    const config = loadConfig(
      testEnv({
        NEXTCLOUD_URL: 'https://cloud.example.invalid',
        NEXTCLOUD_USER: 'etm-bot',
        NEXTCLOUD_PASSWORD: 'SECRET-nextcloud-password',
        ADMIN_TOKEN: 'SECRET-admin-token-0123456789',
      }),
    );
    const logs = new LogCapture();
    createLogger('info', logs).info({ config: redactedConfig(config) }, 'etm-terrain started');
    expect(logs.lines).toHaveLength(1);
    expect(logs.raw.join('')).toContain('etm-bot');
    expect(logs.raw.join('')).not.toMatch(/SECRET|TEST-fake-token/);
  });
});

describe('createLogger', () => {
  it('redacts token, password and authorization fields, at the top and nested', () => {
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    logger.info({ token: 'SECRET-1', password: 'SECRET-2', adminToken: 'SECRET-3' }, 'top level');
    logger.info({ bot: { token: 'SECRET-4' }, nextcloud: { password: 'SECRET-5' } }, 'one level down');
    logger.info(
      { config: { nextcloud: { password: 'SECRET-6' }, admin: { token: 'SECRET-7' } } },
      'two down',
    );
    logger.info({ req: { headers: { authorization: 'Bearer SECRET-8' } } }, 'request headers');
    logger.info({ headers: { authorization: 'Bearer SECRET-9' } }, 'headers');
    logger.info({ authorization: 'Bearer SECRET-10' }, 'bare authorization');
    logger.info({ request: { authorization: 'Bearer SECRET-11' } }, 'nested authorization');
    logger.info({ request: { headers: { authorization: 'Bearer SECRET-12' } } }, 'outgoing request');
    logger.info({ req: { headers: { 'x-admin-token': 'SECRET-13' } } }, 'admin header');

    expect(logs.lines).toHaveLength(9);
    expect(logs.raw.join('')).not.toContain('SECRET');
    expect(logs.lines[0]).toMatchObject({ token: '[redacted]', password: '[redacted]' });
    expect(logs.lines[3]).toMatchObject({ req: { headers: { authorization: '[redacted]' } } });
  });

  it('keeps fields that are not secret', () => {
    const logs = new LogCapture();
    createLogger('info', logs).info({ slug: 'etm-terrain', updateId: 7 }, 'update dispatched');
    expect(logs.lines[0]).toMatchObject({
      slug: 'etm-terrain',
      updateId: 7,
      msg: 'update dispatched',
      service: 'etm-terrain',
      level: 30,
    });
  });

  it('writes nothing at level silent', () => {
    const logs = new LogCapture();
    createLogger('silent', logs).error({ token: 'x' }, 'failure');
    expect(logs.lines).toEqual([]);
  });
});

describe('request ids', () => {
  it('tags every line of a request with one request id, a new one per request', async () => {
    t = await createTestApp({ LOG_LEVEL: 'debug' });
    await post(textUpdate('/start'));
    await post(textUpdate('/start'), { 'x-bot-slug': 'unknown-bot' });

    const ids = t.logs.lines.filter((line) => line.msg === 'incoming request').map((line) => line.reqId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      expect(id).toMatch(UUID);
      const lines = linesOfRequest(t.logs, id as string);
      expect(lines.length).toBeGreaterThanOrEqual(3); // incoming, at least one of ours, completed
      expect(lines.map((line) => line.reqId)).toEqual(lines.map(() => id));
    }
  });

  it("keeps a caller's X-Request-Id on every line of the request", async () => {
    t = await createTestApp({ LOG_LEVEL: 'debug' });
    await post(textUpdate('/start'), { 'x-request-id': 'gw-2026.03.25_abc-123' });
    const lines = linesOfRequest(t.logs, 'gw-2026.03.25_abc-123');
    expect(lines.map((line) => line.msg)).toEqual([
      'incoming request',
      'update received',
      'request completed',
    ]);
    expect(lines.every((line) => line.reqId === 'gw-2026.03.25_abc-123')).toBe(true);
  });

  it.each([
    ['spaces', 'not an id'],
    ['more than 64 characters', 'a'.repeat(65)],
    ['a line break', 'abc\ninjected'],
  ])('replaces an X-Request-Id with %s by a fresh one', async (_name, incoming) => {
    t = await createTestApp({ LOG_LEVEL: 'debug' });
    await post(textUpdate('/start'), { 'x-request-id': incoming });
    const ids = t.logs.lines.map((line) => line.reqId).filter((id) => id !== undefined);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(UUID);
  });
});

describe('what an Update leaves in the logs', () => {
  const words = 'Texte-du-technicien Müller / - cuivre 28mm';

  it('logs the whole Update at debug level', async () => {
    t = await createTestApp({ LOG_LEVEL: 'debug' });
    const update = textUpdate(words);
    await post(update);
    const received = t.logs.lines.find((line) => line.msg === 'update received');
    expect(received).toMatchObject({ level: 20, update });
  });

  it('never logs the text of a message at level info', async () => {
    t = await createTestApp({ LOG_LEVEL: 'info' });
    const update = textUpdate(words);
    await post(update);
    // One line per update at info: its id and outcome, never its text.
    expect(t.logs.lines.filter((line) => line.reqId !== undefined)).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        method: 'POST',
        url: '/telegram/update',
        statusCode: 200,
        updateId: update.update_id,
        outcome: 'handled',
      }),
    ]);
    const text = t.logs.raw.join('');
    expect(text).not.toContain('Texte-du-technicien');
    expect(text).not.toContain('cuivre');
  });
});
