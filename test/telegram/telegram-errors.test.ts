import { describe, expect, it } from 'vitest';
import { TelegramApiError, transportError } from '../../src/telegram/telegram-errors.ts';
import { STAND_IN_TOKEN } from '../../stand-ins/telegram-stand-in.ts';
import { expectNoSecretIn } from './secrets.ts';

const URL_WITH_TOKEN = `https://api.telegram.org/bot${STAND_IN_TOKEN}/sendMessage`;

describe('transportError', () => {
  it('removes the token and URLs from the message, the stack and the causes, keeping names and codes', () => {
    const root = Object.assign(new Error(`getaddrinfo ENOTFOUND for ${URL_WITH_TOKEN}`), {
      code: 'ENOTFOUND',
    });
    const raw = Object.assign(new TypeError(`fetch failed: ${URL_WITH_TOKEN}`, { cause: root }), {
      url: URL_WITH_TOKEN,
      input: `bot${encodeURIComponent(STAND_IN_TOKEN)}`,
    });
    const error = transportError('sendMessage', raw, [STAND_IN_TOKEN]);
    expectNoSecretIn(error);
    expect(error.code).toBeUndefined();
    expect(error.cause.name).toBe('TypeError');
    expect((error.cause.cause as Error & { code: string }).code).toBe('ENOTFOUND');
    expect(error.message).toBe(
      'Telegram sendMessage transport failed: TypeError: fetch failed: [url] <- Error ENOTFOUND: getaddrinfo ENOTFOUND for [url]',
    );
  });

  it('accepts a thrown value that is not an Error', () => {
    const error = transportError('getFile', `boom ${STAND_IN_TOKEN}`, [STAND_IN_TOKEN]);
    expectNoSecretIn(error);
    expect(error.message).toContain('boom [redacted]');
  });
});

describe('TelegramApiError', () => {
  it("says the method, the code and Telegram's description", () => {
    const error = new TelegramApiError({
      method: 'sendPhoto',
      errorCode: 400,
      description: 'Bad Request: chat not found',
    });
    expect(String(error)).toBe(
      'TelegramApiError: Telegram sendPhoto failed: 400 Bad Request: chat not found',
    );
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ method: 'sendPhoto', errorCode: 400 });
  });
});
