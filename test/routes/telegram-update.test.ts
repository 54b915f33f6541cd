import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postUpdate, type TestApp } from '../support/test-app.ts';
import { groupTextUpdate, textUpdate } from '../support/updates.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => t.close());

const post = (body: unknown, headers: Record<string, string> = {}) => postUpdate(t.app, body, { headers });

describe('POST /telegram/update', () => {
  it('answers a plain line to a private message through the synchronous text', async () => {
    const response = await post(textUpdate('/aide'));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ text: expect.stringContaining('/fin') });
  });

  it('sends keyboards through the Bot API and answers an empty 200', async () => {
    const response = await post(textUpdate('/start'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    const jobs = await t.db.selectFrom('jobs').select(['type', 'payload']).execute();
    expect(jobs).toEqual([
      { type: 'telegram.send-message', payload: expect.stringContaining('Bonjour Jean') },
    ]);
  });

  it('answers /start of the demo bot (no token) synchronously, buttons as text', async () => {
    const demo = await createTestApp({ BOTS: '' });
    const response = await postUpdate(demo.app, textUpdate('/start'), { slug: 'demo' });
    expect(response.json()).toEqual({ text: expect.stringContaining('Bonjour Jean') });
    expect(response.json().text).toContain('[📸 Fin de Chantier]');
    expect(await demo.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
    await demo.close();
  });

  it('treats a repeated update_id as already handled, and answers it as the first time', async () => {
    const update = textUpdate('/aide');
    const first = await post(update);
    expect(first.json()).toHaveProperty('text');
    const again = await post(update);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const rows = await t.db.selectFrom('processed_updates').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(await t.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('answers an update redelivered after its answer was lost again', async () => {
    // Our 200 may never reach the gateway (a time-out, a crash after the commit): Telegram then
    // sends the update again, and a plain line is kept nowhere but with the seen mark.
    const update = textUpdate('/sav PAC en défaut E-12');
    const first = await post(update);
    expect(first.json()).toEqual({ text: expect.stringContaining('Pour quel chantier') });
    const again = await post(update);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const conversations = await t.db.selectFrom('conversations').select('version').execute();
    expect(conversations).toEqual([{ version: 1 }]);
  });

  it('answers a repeated update whose answer went through the Bot API with an empty 200, once', async () => {
    const update = textUpdate('/start');
    expect((await post(update)).body).toBe('');
    const again = await post(update);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe('');
    expect(await t.db.selectFrom('jobs').selectAll().execute()).toHaveLength(1);
    const rows = await t.db.selectFrom('processed_updates').select('reply').execute();
    expect(rows).toEqual([{ reply: null }]);
  });

  it('ignores unknown update kinds and group chatter with an empty 200', async () => {
    for (const update of [{ update_id: 9, my_chat_member: { foo: 1 } }, groupTextUpdate('/start')]) {
      const response = await post(update);
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
    }
  });

  it('accepts files with empty ids, which the Bot API types only as String', async () => {
    // The shape of teloxide's message fixtures (crates/teloxide-core/src/types/message.rs).
    const emptyIds = { file_id: '', file_unique_id: '', width: 90, height: 51 };
    const update = textUpdate('');
    const message = { ...update.message!, text: undefined };
    const response = await post({ ...update, message: { ...message, photo: [emptyIds, emptyIds] } });
    expect(response.statusCode).toBe(200);
  });

  it('handles a text longer than Telegram allows, cut, and tells the technician', async () => {
    const response = await post(textUpdate(`Dupont / ${'fuite '.repeat(150_000)}`));
    expect(response.statusCode).toBe(200);
    const jobs = await t.db.selectFrom('jobs').select('payload').execute();
    const said = [response.body, ...jobs.map((job) => job.payload)].join('\n');
    expect(said).toContain('Message trop long');
    expect(said.length).toBeLessThan(20_000);
  });

  it.each([
    ['not JSON', '{"update_id": ', 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['no update_id', { message: {} }, 'invalid_update'],
    ['a negative update_id', { update_id: -1 }, 'invalid_update'],
    ['a message without chat', { update_id: 1, message: { message_id: 1, date: 1 } }, 'invalid_update'],
    ['a JSON array', [1, 2], 'invalid_update'],
  ])('answers 400 to %s', async (_name, body, code) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: code, message: expect.any(String) });
  });

  it('answers 404 to an unknown or missing slug', async () => {
    const unknown = await post(textUpdate('/start'), { 'x-bot-slug': 'other-bot' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'unknown_slug', message: expect.any(String) });
    const missing = await t.app.inject({
      method: 'POST',
      url: '/telegram/update',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(textUpdate('/start')),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('unknown_slug');
  });

  it('answers 413 to a body over 1 MB', async () => {
    const update = textUpdate('x'.repeat(1024 * 1024));
    const response = await post(update);
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe('payload_too_large');
  });

  it.each(['application/x-www-form-urlencoded', 'text/plain', 'text/plain; charset=utf-8'])(
    'answers 415 to a body sent as %s',
    async (contentType) => {
      const response = await post(JSON.stringify(textUpdate('/start')), { 'content-type': contentType });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({
        error: 'unsupported_media_type',
        message: 'the body must be application/json',
      });
    },
  );

  it('answers 503 when the update cannot be recorded, so that it comes again', async () => {
    await t.db.schema.dropTable('processed_updates').execute();
    const response = await post(textUpdate('/start'));
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toBe('unavailable');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toBe('not_found');
  });
});
