import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** One request per admin route: the guard must hold for each of them. */
const ADMIN_REQUESTS = [
  { method: 'GET', url: '/admin/jobs' },
  { method: 'POST', url: '/admin/jobs/1/retry' },
  { method: 'GET', url: '/admin/reports' },
  { method: 'GET', url: '/admin/reports/SAV-0001' },
  { method: 'GET', url: '/admin/reports.csv' },
  { method: 'GET', url: '/admin/stats' },
] as const;

let t: TestApp;
afterEach(async () => t.close());

const request = (target: (typeof ADMIN_REQUESTS)[number], headers: Record<string, string> = {}) =>
  t.app.inject({ method: target.method, url: target.url, headers });

describe('the admin API without ADMIN_TOKEN', () => {
  it.each(ADMIN_REQUESTS)('is off: $method $url answers 404 as if it did not exist', async (target) => {
    t = await createTestApp();
    const response = await request(target, ADMIN_AUTH);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: 'not_found',
      message: `no route for ${target.method} ${target.url}`,
    });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });
});

describe('the admin API with ADMIN_TOKEN', () => {
  it.each(ADMIN_REQUESTS)('refuses $method $url without a token', async (target) => {
    t = await createTestApp({ ADMIN_TOKEN });
    const response = await request(target);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="etm-terrain"');
    expect(response.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('Bearer') });
  });

  it.each([
    ['a wrong token of the same length', `Bearer ${ADMIN_TOKEN.replace(/9$/, '8')}`],
    ['a shorter token', `Bearer ${ADMIN_TOKEN.slice(0, 10)}`],
    ['a longer token', `Bearer ${ADMIN_TOKEN}-and-more`],
  ])('refuses %s with invalid_token', async (_name, authorization) => {
    t = await createTestApp({ ADMIN_TOKEN });
    for (const target of ADMIN_REQUESTS) {
      const response = await request(target, { authorization });
      expect(response.statusCode, target.url).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="etm-terrain", error="invalid_token"');
      expect(response.json()).toEqual({ error: 'unauthorized', message: 'the bearer token is not valid' });
    }
  });

  it.each([
    [
      'another scheme',
      `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
      'Bearer realm="etm-terrain"',
      'the Authorization header does not start with Bearer: this route needs Authorization: Bearer <ADMIN_TOKEN>',
    ],
    [
      'a token with spaces',
      'Bearer correct horse battery staple',
      'Bearer realm="etm-terrain", error="invalid_token"',
      'the bearer token is malformed: after "Bearer " comes one token of letters, digits and - . _ ~ + / (= only at the end), no space',
    ],
  ])(
    'refuses %s saying what is wrong, not that the header is missing',
    async (_name, authorization, challenge, message) => {
      t = await createTestApp({ ADMIN_TOKEN });
      const missing = (await request(ADMIN_REQUESTS[0])).json().message;
      for (const target of ADMIN_REQUESTS) {
        const response = await request(target, { authorization });
        expect(response.statusCode, target.url).toBe(401);
        expect(response.headers['www-authenticate']).toBe(challenge);
        expect(response.json()).toEqual({ error: 'unauthorized', message });
        expect(message).not.toBe(missing);
      }
    },
  );

  it('takes the token only as a Bearer credential', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`;
    for (const headers of [
      { authorization: basic },
      { authorization: ADMIN_TOKEN },
      { 'x-admin-token': ADMIN_TOKEN },
    ]) {
      expect((await t.app.inject({ url: '/admin/jobs', headers })).statusCode).toBe(401);
    }
  });

  it('checks the token before anything else, so a stranger learns nothing from validation errors', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    const response = await t.app.inject({ url: '/admin/reports?limit=nope&type=other' });
    expect(response.statusCode).toBe(401);
    const allowed = await t.app.inject({ url: '/admin/reports?limit=nope', headers: ADMIN_AUTH });
    expect(allowed.statusCode).toBe(400);
  });

  it.each(ADMIN_REQUESTS.filter((target) => target.method === 'GET'))(
    'lets $method $url through with the token',
    async (target) => {
      t = await createTestApp({ ADMIN_TOKEN });
      const response = await request(target, ADMIN_AUTH);
      // 404 for the report that does not exist is the route's own answer, not the guard's.
      expect([200, 404]).toContain(response.statusCode);
      if (response.statusCode === 404) expect(response.json().error).toBe('report_not_found');
    },
  );

  it('never writes the token to the logs, accepted or refused', async () => {
    t = await createTestApp({ ADMIN_TOKEN, LOG_LEVEL: 'trace' });
    await t.app.inject({ url: '/admin/jobs', headers: ADMIN_AUTH });
    await t.app.inject({ url: '/admin/jobs', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    await t.app.inject({ url: '/admin/reports?limit=nope', headers: ADMIN_AUTH });
    await t.app.inject({ method: 'POST', url: '/admin/jobs/999/retry', headers: ADMIN_AUTH });
    const text = t.logs.raw.join('');
    expect(t.logs.lines.some((line) => line.msg === 'bearer token refused')).toBe(true);
    expect(t.logs.lines.filter((line) => line.msg === 'request completed')).toHaveLength(4);
    expect(text).not.toContain(ADMIN_TOKEN);
  });
});
