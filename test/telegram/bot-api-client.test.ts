import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotApiClient, createBotApiClient } from '../../src/telegram/bot-api-client.ts';
import { TelegramApiError, TelegramTransportError } from '../../src/telegram/telegram-errors.ts';
import { telegramFailureDecision } from '../../src/telegram/telegram-failure.ts';
import { DOWNLOAD_METHOD, STAND_IN_TOKEN, TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';
import { expectNoSecretIn } from './secrets.ts';

const PRIVATE_CHAT = 111111111;
const GROUP = -1001234567890;
/** Short enough for a test, long enough for a loaded 2-core machine to answer a normal call. */
const HANG_TIMEOUT_MS = 200;

let telegram: TelegramStandIn;
let client: BotApiClient;
const clients: BotApiClient[] = [];

function newClient(options: { token?: string; timeoutMs?: number; apiUrl?: string } = {}): BotApiClient {
  const created = createBotApiClient({
    apiUrl: options.apiUrl ?? telegram.apiUrl,
    token: options.token ?? STAND_IN_TOKEN,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  clients.push(created);
  return created;
}

/** The rejection of `promise`, failing the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function apiErrorOf(promise: Promise<unknown>): Promise<TelegramApiError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(TelegramApiError);
  expectNoSecretIn(error);
  return error as TelegramApiError;
}

beforeEach(async () => {
  telegram = await TelegramStandIn.start();
  client = newClient();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (created) => created.close()));
  await telegram.close();
});

describe('Bot API client: methods', () => {
  it('sends a message as JSON and returns the Message with increasing ids', async () => {
    const first = await client.sendMessage({ chat_id: PRIVATE_CHAT, text: 'Bonjour' });
    const second = await client.sendMessage({
      chat_id: GROUP,
      text: 'Rapport',
      reply_markup: { inline_keyboard: [[{ text: 'Fin', callback_data: 'fin' }]] },
    });
    expect(first).toMatchObject({ chat: { id: PRIVATE_CHAT, type: 'private' }, text: 'Bonjour' });
    expect(second.message_id).toBeGreaterThan(first.message_id);
    expect(second.chat).toMatchObject({ id: GROUP, type: 'supergroup' });
    const calls = telegram.callsTo('sendMessage');
    expect(calls.map((call) => call.token)).toEqual([STAND_IN_TOKEN, STAND_IN_TOKEN]);
    expect(calls[1]!.params).toEqual({
      chat_id: GROUP,
      text: 'Rapport',
      reply_markup: { inline_keyboard: [[{ text: 'Fin', callback_data: 'fin' }]] },
    });
  });

  it('re-sends a photo Telegram has by file_id, or a photo by URL', async () => {
    const { file_id } = telegram.addFile(Buffer.from('jpeg bytes'), { mimeType: 'image/jpeg' });
    const byId = await client.sendPhoto({ chat_id: GROUP, photo: file_id, caption: 'Müller' });
    expect(byId.photo.at(-1)?.file_id).toBe(file_id);
    expect(byId.caption).toBe('Müller');
    const byUrl = await client.sendPhoto({ chat_id: GROUP, photo: 'https://example.test/photo.jpg' });
    expect(byUrl.photo).toHaveLength(1);
    expect(telegram.callsTo('sendPhoto').map((call) => call.params.photo)).toEqual([
      file_id,
      'https://example.test/photo.jpg',
    ]);
  });

  it('sends an album and gets one message per item with a shared media_group_id', async () => {
    const ids = [1, 2, 3].map((n) => telegram.addFile(Buffer.from([n]), { mimeType: 'image/jpeg' }).file_id);
    const messages = await client.sendMediaGroup({
      chat_id: GROUP,
      media: ids.map((id, index) => ({
        type: 'photo' as const,
        media: id,
        ...(index === 0 && { caption: '3 photos' }),
      })),
    });
    expect(messages).toHaveLength(3);
    const groupIds = messages.map((message) =>
      'media_group_id' in message ? message.media_group_id : undefined,
    );
    expect(groupIds[0]).toEqual(expect.any(String));
    expect(new Set(groupIds).size).toBe(1);
    expect(messages[0]!.caption).toBe('3 photos');
  });

  it('answers a callback query once; a second answer is refused as too old, which counts as done', async () => {
    await expect(client.answerCallbackQuery({ callback_query_id: 'cbq-1', text: 'OK' })).resolves.toBe(true);
    const error = await apiErrorOf(client.answerCallbackQuery({ callback_query_id: 'cbq-1' }));
    expect(error.description).toMatch(/query is too old/u);
    expect(telegramFailureDecision(error).action).toBe('done');
  });

  it('removes buttons with editMessageReplyMarkup; doing it again is "not modified", which counts as done', async () => {
    const sent = await client.sendMessage({
      chat_id: PRIVATE_CHAT,
      text: 'Choisis',
      reply_markup: { inline_keyboard: [[{ text: 'SAV', callback_data: 'sav' }]] },
    });
    const edited = await client.editMessageReplyMarkup({
      chat_id: PRIVATE_CHAT,
      message_id: sent.message_id,
    });
    expect(edited).toMatchObject({ message_id: sent.message_id, edit_date: expect.any(Number) });
    expect(edited).not.toHaveProperty('reply_markup');
    const again = await apiErrorOf(
      client.editMessageReplyMarkup({ chat_id: PRIVATE_CHAT, message_id: sent.message_id }),
    );
    expect(again.description).toMatch(/message is not modified/u);
    expect(telegramFailureDecision(again).action).toBe('done');
  });

  it('gets a file path and downloads the bytes with their size', async () => {
    const bytes = Buffer.from('a photo, byte for byte');
    const { file_id, file_unique_id } = telegram.addFile(bytes, { mimeType: 'image/jpeg' });
    const file = await client.getFile({ file_id });
    expect(file).toMatchObject({ file_id, file_unique_id, file_size: bytes.length });
    const download = await client.downloadFile(file.file_path!);
    expect(download.size).toBe(bytes.length);
    expect(await buffer(download.stream)).toEqual(bytes);
    expect(telegram.callsTo(DOWNLOAD_METHOD)[0]!.params).toEqual({ file_path: file.file_path });
  });

  it('sets the bot commands', async () => {
    const commands = [
      { command: 'fin', description: 'Fin de chantier' },
      { command: 'sav', description: 'Alerte SAV' },
    ];
    await expect(client.setMyCommands({ commands })).resolves.toBe(true);
    expect(telegram.callsTo('setMyCommands')[0]!.params).toEqual({ commands });
  });

  it('refuses a malformed token without echoing it', () => {
    const attempt = () => createBotApiClient({ apiUrl: telegram.apiUrl, token: 'TEST-fake/../x' });
    expect(attempt).toThrow(/not of the form/u);
    expect(attempt).not.toThrow(/TEST-fake/u);
  });
});

describe('Bot API client: refusals', () => {
  it('takes retry_after from the body of a 429', async () => {
    telegram.failNext('sendMessage', {
      kind: 'error',
      status: 429,
      description: 'Too Many Requests: retry after 5',
      parameters: { retry_after: 5 },
    });
    const error = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error).toMatchObject({ method: 'sendMessage', errorCode: 429, retryAfter: 5 });
    expect(telegramFailureDecision(error)).toMatchObject({ action: 'retry', delayMs: 5000 });
  });

  it('takes retry_after from the Retry-After header when the body has none', async () => {
    telegram.failNext('sendMessage', {
      kind: 'error',
      status: 429,
      description: 'Too Many Requests: retry after 7',
      headers: { 'retry-after': '7' },
    });
    const error = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error.retryAfter).toBe(7);
  });

  it("reads Telegram's own 429 (body and header) and succeeds on the next call", async () => {
    telegram.failNext('sendMessage', { kind: 'tooManyRequests', retryAfter: 3 });
    const error = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error).toMatchObject({ errorCode: 429, retryAfter: 3 });
    expect(error.description).toBe('Too Many Requests: retry after 3');
    await expect(client.sendMessage({ chat_id: GROUP, text: 'x' })).resolves.toHaveProperty('message_id');
  });

  it('keeps the status of a 5xx, with JSON from Telegram or an HTML page from its proxy', async () => {
    telegram.failNext('sendMessage', { kind: 'serverError' });
    telegram.failNext('sendMessage', { kind: 'serverError', status: 502 });
    const json = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(json).toMatchObject({ errorCode: 500, description: 'Internal Server Error' });
    const html = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(html).toMatchObject({ errorCode: 502, description: 'HTTP 502 without a Bot API JSON body' });
    expect(telegramFailureDecision(html).action).toBe('retry');
  });

  it('reports a blocked bot, an unknown chat and an upgraded group', async () => {
    telegram.failNext('sendMessage', { kind: 'blocked' });
    telegram.failNext('sendMessage', { kind: 'chatNotFound' });
    telegram.failNext('sendMessage', { kind: 'migrated', toChatId: -1009876543210 });
    const blocked = await apiErrorOf(client.sendMessage({ chat_id: PRIVATE_CHAT, text: 'x' }));
    expect(blocked).toMatchObject({ errorCode: 403, description: 'Forbidden: bot was blocked by the user' });
    const notFound = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(notFound).toMatchObject({ errorCode: 400, description: 'Bad Request: chat not found' });
    const migrated = await apiErrorOf(client.sendMessage({ chat_id: -123, text: 'x' }));
    expect(migrated).toMatchObject({ errorCode: 400, migrateToChatId: -1009876543210 });
  });

  it('passes on the refusals of the request itself', async () => {
    const tooLong = await apiErrorOf(client.sendMessage({ chat_id: GROUP, text: 'x'.repeat(4097) }));
    expect(tooLong.description).toBe('Bad Request: message is too long');
    const unknownFile = await apiErrorOf(client.getFile({ file_id: 'no-such-file' }));
    expect(unknownFile.description).toMatch(/wrong file_id/u);
    const download = await apiErrorOf(client.downloadFile('photos/missing.jpg'));
    expect(download).toMatchObject({ method: 'downloadFile', errorCode: 404 });
  });

  it('gets 401 Unauthorized for a token the server does not know', async () => {
    const stranger = newClient({ token: '654321:TEST-other-fake-token' });
    const error = await apiErrorOf(stranger.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error).toMatchObject({ errorCode: 401, description: 'Unauthorized' });
    expect(telegramFailureDecision(error).action).toBe('fail');
  });
});

describe('Bot API client: transport failures', () => {
  it('turns a call that never gets an answer into a TransportError within the timeout', async () => {
    const impatient = newClient({ timeoutMs: HANG_TIMEOUT_MS });
    telegram.failNext('sendMessage', { kind: 'hang' });
    const error = await rejectionOf(impatient.sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error).toBeInstanceOf(TelegramTransportError);
    expect(error).toMatchObject({ method: 'sendMessage', code: 'ETIMEDOUT' });
    expectNoSecretIn(error);
    expect(telegramFailureDecision(error).action).toBe('retry');
    expect(telegram.callsTo('sendMessage')).toHaveLength(1);
  });

  it('turns a hung download into a TransportError too', async () => {
    const impatient = newClient({ timeoutMs: HANG_TIMEOUT_MS });
    const { file_id } = telegram.addFile(Buffer.from('x'), { mimeType: 'image/jpeg' });
    const { file_path } = await impatient.getFile({ file_id });
    telegram.failNext(DOWNLOAD_METHOD, { kind: 'hang' });
    const error = await rejectionOf(impatient.downloadFile(file_path!));
    expect(error).toMatchObject({ method: 'downloadFile', code: 'ETIMEDOUT' });
    expectNoSecretIn(error);
  });

  it('turns a dropped connection into a TransportError', async () => {
    telegram.failNext('answerCallbackQuery', { kind: 'disconnect' });
    const error = await rejectionOf(client.answerCallbackQuery({ callback_query_id: 'cbq-9' }));
    expect(error).toBeInstanceOf(TelegramTransportError);
    expect(error).toMatchObject({ method: 'answerCallbackQuery', code: 'UND_ERR_SOCKET' });
    expectNoSecretIn(error);
  });

  it('fails the download stream with a TransportError when the connection drops mid-file', async () => {
    const bytes = Buffer.alloc(64 * 1024, 7);
    const { file_id } = telegram.addFile(bytes, { mimeType: 'image/jpeg' });
    const { file_path } = await client.getFile({ file_id });
    telegram.failNext(DOWNLOAD_METHOD, { kind: 'disconnect' });
    const download = await client.downloadFile(file_path!);
    expect(download.size).toBe(bytes.length);
    const error = await rejectionOf(buffer(download.stream));
    expect(error).toBeInstanceOf(TelegramTransportError);
    expect(error).toMatchObject({ method: 'downloadFile' });
    expectNoSecretIn(error);
  });

  it('reports a refused connection without the token or the URL', async () => {
    const closed = await TelegramStandIn.start();
    const apiUrl = closed.apiUrl;
    await closed.close();
    const error = await rejectionOf(newClient({ apiUrl }).sendMessage({ chat_id: GROUP, text: 'x' }));
    expect(error).toBeInstanceOf(TelegramTransportError);
    expect((error as TelegramTransportError).code).toBe('ECONNREFUSED');
    expectNoSecretIn(error);
  });

  it('drops the URL that a URL error carries (Node puts it in `input`)', async () => {
    const error = await rejectionOf(newClient({ apiUrl: 'not a url' }).getFile({ file_id: 'x' }));
    expect(error).toBeInstanceOf(TelegramTransportError);
    expect((error as TelegramTransportError).code).toBe('ERR_INVALID_URL');
    expectNoSecretIn(error);
  });
});
