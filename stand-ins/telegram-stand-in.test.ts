import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAND_IN_TOKEN, TelegramStandIn } from './telegram-stand-in.ts';

/** The stand-in is shared with the sandbox: these tests pin the Bot API behaviour it mimics. */

let telegram: TelegramStandIn;
beforeEach(async () => {
  telegram = await TelegramStandIn.start({ now: () => 1_774_449_000_000 });
});
afterEach(async () => telegram.close());

/** What the Bot API answers: `{ ok, result }` or `{ ok, error_code, description, parameters }`. */
interface Envelope {
  ok: boolean;
  result?: Record<string, unknown>;
  error_code?: number;
  description?: string;
  parameters?: Record<string, unknown>;
}

async function post(path: string, body: string, contentType: string) {
  const response = await request(`${telegram.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (await response.body.json()) as Envelope,
  };
}

const botPath = (method: string, token = STAND_IN_TOKEN) => `/bot${token}/${method}`;

describe('Telegram stand-in', () => {
  it('takes urlencoded parameters, JSON-serialised fields included, and method names in any case', async () => {
    const keyboard = JSON.stringify({ inline_keyboard: [[{ text: 'Fin', callback_data: 'fin' }]] });
    const body = new URLSearchParams({ chat_id: '-1001234567890', text: 'Salut', reply_markup: keyboard });
    const answer = await post(botPath('SENDMESSAGE'), body.toString(), 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      ok: true,
      result: {
        text: 'Salut',
        chat: { id: -1001234567890 },
        date: 1_774_449_000,
        reply_markup: JSON.parse(keyboard),
      },
    });
    expect(telegram.callsTo('sendMessage')[0]).toMatchObject({
      token: STAND_IN_TOKEN,
      at: 1_774_449_000_000,
      params: { chat_id: '-1001234567890', reply_markup: JSON.parse(keyboard) },
    });
  });

  it('answers 401 to an unknown token and to a malformed one, recording both calls', async () => {
    const unknown = await post(botPath('getMe', '999:TEST-unknown'), '{}', 'application/json');
    expect(unknown).toMatchObject({
      status: 401,
      json: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    const malformed = await post(botPath('getMe', 'not-a-token'), '{}', 'application/json');
    expect(malformed.json.description).toBe('Unauthorized: invalid token specified');
    expect(telegram.callsTo('getMe').map((call) => call.token)).toEqual(['999:TEST-unknown', 'not-a-token']);
  });

  it('answers 404 to an unknown method', async () => {
    const answer = await post(botPath('sendTelepathy'), '{}', 'application/json');
    expect(answer).toMatchObject({ status: 404, json: { ok: false, error_code: 404 } });
  });

  it('checks parameters the way the Bot API does', async () => {
    const refusals = [
      ['sendMessage', { chat_id: 1 }, 'Bad Request: message text is empty'],
      ['sendMessage', { text: 'x' }, 'Bad Request: chat_id is empty'],
      [
        'sendPhoto',
        { chat_id: 1, photo: 'unknown-file-id' },
        'Bad Request: wrong file identifier/HTTP URL specified',
      ],
      ['sendMediaGroup', { chat_id: 1, media: [] }, 'Bad Request: there are no messages to send'],
      [
        'sendMessage',
        {
          chat_id: 1,
          text: 'x',
          reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'é'.repeat(33) }]] },
        },
        'Bad Request: BUTTON_DATA_INVALID',
      ],
      ['editMessageReplyMarkup', { chat_id: 1, message_id: 999 }, 'Bad Request: message to edit not found'],
    ] as const;
    for (const [method, params, description] of refusals) {
      const answer = await post(botPath(method), JSON.stringify(params), 'application/json');
      expect(answer).toMatchObject({ status: 400, json: { ok: false, error_code: 400, description } });
    }
  });

  it('answers scripted failures for the next N calls only, in order', async () => {
    telegram.failNext('sendMessage', { kind: 'tooManyRequests', retryAfter: 4 }, 2);
    telegram.failNext('sendMessage', { kind: 'blocked' });
    const params = JSON.stringify({ chat_id: 1, text: 'x' });
    const first = await post(botPath('sendMessage'), params, 'application/json');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('4');
    expect(first.json).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 4',
      parameters: { retry_after: 4 },
    });
    expect((await post(botPath('sendMessage'), params, 'application/json')).status).toBe(429);
    expect((await post(botPath('sendMessage'), params, 'application/json')).status).toBe(403);
    expect((await post(botPath('sendMessage'), params, 'application/json')).status).toBe(200);
    expect(telegram.callsTo('sendMessage')).toHaveLength(4);
  });

  it('fails only the calls whose parameters match, the others going through meanwhile', async () => {
    telegram.failMatching('sendMessage', (params) => params.text === 'lent', { kind: 'serverError' }, 2);
    const send = async (text: string) =>
      (await post(botPath('sendMessage'), JSON.stringify({ chat_id: 1, text }), 'application/json')).status;
    expect(await send('lent')).toBe(500);
    expect(await send('autre')).toBe(200);
    expect(await send('lent')).toBe(500);
    expect(await send('lent')).toBe(200);
  });

  it('lets a test await a call, and ends a hung request on close', async () => {
    telegram.failNext('getFile', { kind: 'hang' });
    const called = telegram.nextCall('getFile');
    const hung = post(botPath('getFile'), JSON.stringify({ file_id: 'x' }), 'application/json');
    expect((await called).params).toEqual({ file_id: 'x' });
    await telegram.close();
    await expect(hung).rejects.toThrow();
  });

  it('waits for a number of calls', async () => {
    const waiting = telegram.waitForCalls('answerCallbackQuery', 2);
    for (const id of ['a', 'b']) {
      await post(
        botPath('answerCallbackQuery'),
        JSON.stringify({ callback_query_id: id }),
        'application/json',
      );
    }
    expect((await waiting).map((call) => call.params.callback_query_id)).toEqual(['a', 'b']);
  });

  it('serves registered files under their file_path, with their type and size', async () => {
    const { file_id } = telegram.addFile(Buffer.from('%PDF-1.7'), {
      mimeType: 'application/pdf',
      fileId: 'doc-1',
    });
    expect(file_id).toBe('doc-1');
    const file = await post(botPath('getFile'), JSON.stringify({ file_id }), 'application/json');
    expect(file.json.result).toMatchObject({
      file_id: 'doc-1',
      file_size: 8,
      file_path: expect.stringMatching(/\.pdf$/u),
    });
    const filePath = String(file.json.result?.file_path);
    const download = await request(`${telegram.apiUrl}/file/bot${STAND_IN_TOKEN}/${filePath}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(await download.body.text()).toBe('%PDF-1.7');
  });

  it('refuses getFile for a file over the download limit', async () => {
    const small = await TelegramStandIn.start({ maxDownloadBytes: 4 });
    try {
      const { file_id } = small.addFile(Buffer.from('12345'));
      const response = await request(`${small.apiUrl}${botPath('getFile')}?file_id=${file_id}`);
      expect(response.statusCode).toBe(400);
      expect(((await response.body.json()) as Envelope).description).toBe('Bad Request: file is too big');
    } finally {
      await small.close();
    }
  });
});
