import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, ADMIN_TOKEN, seedReport } from '../support/admin.ts';
import { parseExposition, value } from '../support/prometheus.ts';
import { createTestApp, postUpdate, FAKE_TOKEN, type TestApp } from '../support/test-app.ts';
import { buttonUpdate, GROUP_CHAT, groupTextUpdate, TECHNICIAN, textUpdate } from '../support/updates.ts';

let t: TestApp;
afterEach(async () => t.close());

const post = (body: unknown) => postUpdate(t.app, body);

const scrape = async (headers: Record<string, string> = {}) => {
  const response = await t.app.inject({ url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(response.body);
};

describe('GET /metrics', () => {
  it('counts updates by kind and outcome, and HTTP responses by route pattern', async () => {
    t = await createTestApp({ ADMIN_TOKEN, BOT_ETM_TERRAIN_ALLOWED_USERS: String(TECHNICIAN.id) });
    const start = textUpdate('/start');
    await post(start);
    await post(start); // Telegram sends it again
    await post(buttonUpdate('sav'));
    await post(groupTextUpdate('bonjour'));
    await post({ update_id: 990001, my_chat_member: {} });
    await post(
      textUpdate('/start', {
        message: {
          message_id: 7,
          date: 1,
          chat: { id: 999, type: 'private' },
          from: { id: 999, first_name: 'X' },
          text: '/start',
        },
      }),
    );
    await post('{"update_id": ');
    await seedReport(t.db, { kind: 'sav', chantier: 'Müller', at: '2026-03-25T10:00:00Z' });
    await t.app.inject({ url: '/admin/reports/SAV-0001', headers: ADMIN_AUTH });
    await t.app.inject({ url: '/admin/reports/42', headers: ADMIN_AUTH });
    await t.app.inject({ url: '/no/such/page/123456789' });

    const exposition = await scrape();
    const updates = (kind: string, outcome: string) =>
      value(exposition, 'etm_updates_total', { kind, outcome });
    expect(updates('message', 'handled')).toBe(1);
    expect(updates('message', 'duplicate')).toBe(1);
    expect(updates('callback_query', 'handled')).toBe(1);
    expect(updates('message', 'ignored')).toBe(1);
    expect(updates('other', 'ignored')).toBe(1);
    expect(updates('message', 'refused')).toBe(1);

    const requests = (labels: Record<string, string>) =>
      value(exposition, 'etm_http_request_duration_seconds_count', labels);
    expect(requests({ method: 'POST', route: '/telegram/update', status_code: '200' })).toBe(6);
    expect(requests({ method: 'POST', route: '/telegram/update', status_code: '400' })).toBe(1);
    expect(requests({ method: 'GET', route: '/admin/reports/:id', status_code: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/admin/reports/:id', status_code: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: '(unmatched)', status_code: '404' })).toBe(1);
    // The /start above and the button left jobs behind: they are read from the database.
    expect(
      value(exposition, 'etm_jobs', { type: 'telegram.send-message', state: 'pending' }),
    ).toBeGreaterThan(0);
    expect(value(exposition, 'etm_queue_lag_seconds')).toBe(0);
  });

  it('counts an update that could not be recorded as failed', async () => {
    t = await createTestApp();
    await t.db.schema.dropTable('processed_updates').execute();
    expect((await post(textUpdate('/start'))).statusCode).toBe(503);
    expect(value(await scrape(), 'etm_updates_total', { kind: 'message', outcome: 'failed' })).toBe(1);
  });

  it('shows what the worker hooks report through the app’s metrics', async () => {
    t = await createTestApp();
    t.app.metrics.jobEnded('report.process', 'dead', 2500);
    t.app.metrics.telegramRateLimited('sendPhoto');
    t.app.metrics.albumClosed(4);
    const exposition = await scrape();
    expect(value(exposition, 'etm_jobs_dead_total', { type: 'report.process' })).toBe(1);
    expect(
      value(exposition, 'etm_job_duration_seconds_sum', { type: 'report.process', outcome: 'dead' }),
    ).toBe(2.5);
    expect(value(exposition, 'etm_telegram_rate_limited_total', { method: 'sendPhoto' })).toBe(1);
    expect(value(exposition, 'etm_album_size_sum')).toBe(4);
  });

  it('carries no label with a user id, a chat id, an update id, a URL or a token', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    const updates = [
      textUpdate('/start'),
      buttonUpdate('fin'),
      groupTextUpdate('salut'),
      textUpdate('Müller / notes'),
    ];
    for (const update of updates) await post(update);
    await t.app.inject({
      url: `/admin/reports/${updates[0]!.update_id}?token=${ADMIN_TOKEN}`,
      headers: ADMIN_AUTH,
    });
    await t.app.inject({ url: `/bot${FAKE_TOKEN}/getMe` });
    const secrets = [
      String(TECHNICIAN.id),
      String(GROUP_CHAT.id),
      ...updates.map((update) => String(update.update_id)),
      FAKE_TOKEN.split(':')[1]!,
      ADMIN_TOKEN,
    ];
    const exposition = await scrape();
    const labelValues = exposition.samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.length).toBeGreaterThan(10);
    for (const labelValue of labelValues) {
      expect(
        secrets.some((secret) => labelValue.includes(secret)),
        labelValue,
      ).toBe(false);
      expect(labelValue).not.toMatch(/\?|\/bot|^\/admin\/reports\/\d/);
    }
  });

  it('is open by default, even when the admin API is on', async () => {
    t = await createTestApp({ ADMIN_TOKEN });
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('asks for the admin token when METRICS_REQUIRE_TOKEN is on', async () => {
    t = await createTestApp({ ADMIN_TOKEN, METRICS_REQUIRE_TOKEN: 'true' });
    const refused = await t.app.inject({ url: '/metrics' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="etm-terrain"');
    const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.statusCode).toBe(401);
    const exposition = await scrape(ADMIN_AUTH);
    expect(exposition.types.get('etm_updates_total')).toBe('counter');
  });
});
