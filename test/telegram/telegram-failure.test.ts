import { describe, expect, it } from 'vitest';
import { TelegramApiError, TelegramTransportError } from '../../src/telegram/telegram-errors.ts';
import { migratedChatId, telegramFailureDecision } from '../../src/telegram/telegram-failure.ts';

const refusal = (
  errorCode: number,
  description: string,
  extra: { retryAfter?: number; migrateToChatId?: number; method?: string } = {},
) => new TelegramApiError({ method: extra.method ?? 'sendMessage', errorCode, description, ...extra });

const timeout = Object.assign(new Error('Headers Timeout Error'), {
  name: 'HeadersTimeoutError',
  code: 'UND_ERR_HEADERS_TIMEOUT',
});

describe('telegramFailureDecision', () => {
  it.each([
    [
      '429 with retry_after',
      refusal(429, 'Too Many Requests: retry after 12', { retryAfter: 12 }),
      'retry',
      12_000,
    ],
    ['429 without retry_after', refusal(429, 'Too Many Requests'), 'retry', undefined],
    ['500', refusal(500, 'Internal Server Error'), 'retry', undefined],
    ['502 from the proxy', refusal(502, 'HTTP 502 without a Bot API JSON body'), 'retry', undefined],
    ['a timeout', new TelegramTransportError('sendMessage', timeout), 'retry', undefined],
    [
      'a refused connection',
      new TelegramTransportError('getFile', new Error('connect ECONNREFUSED')),
      'retry',
      undefined,
    ],
    [
      'a group upgraded to a supergroup',
      refusal(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrateToChatId: -1009876543210,
      }),
      'retry',
      0,
    ],
    ['a blocked bot', refusal(403, 'Forbidden: bot was blocked by the user'), 'fail', undefined],
    ['a deactivated user', refusal(403, 'Forbidden: user is deactivated'), 'fail', undefined],
    ['a kicked bot', refusal(403, 'Forbidden: bot was kicked from the supergroup chat'), 'fail', undefined],
    ['an unknown chat', refusal(400, 'Bad Request: chat not found'), 'fail', undefined],
    ['an unknown chat, other case', refusal(400, 'Bad Request: Chat Not Found'), 'fail', undefined],
    ['a message too long', refusal(400, 'Bad Request: message is too long'), 'fail', undefined],
    ['a wrong token', refusal(401, 'Unauthorized'), 'fail', undefined],
    [
      'a file too big',
      refusal(400, 'Bad Request: file is too big', { method: 'getFile' }),
      'fail',
      undefined,
    ],
    [
      'an answer to a query too old',
      refusal(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid', {
        method: 'answerCallbackQuery',
      }),
      'done',
      undefined,
    ],
    ['an invalid query id', refusal(400, 'Bad Request: QUERY ID IS INVALID'), 'done', undefined],
    [
      'an edit that changes nothing',
      refusal(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
        {
          method: 'editMessageReplyMarkup',
        },
      ),
      'done',
      undefined,
    ],
    ['an error that is not Telegram’s', new TypeError('x is undefined'), 'retry', undefined],
  ])('%s → %s', (_name, error, action, delayMs) => {
    const decision = telegramFailureDecision(error);
    expect(decision.action).toBe(action);
    expect('delayMs' in decision ? decision.delayMs : undefined).toBe(delayMs);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it("keeps Telegram's description in the reason of a failure", () => {
    const decision = telegramFailureDecision(
      refusal(400, "Bad Request: can't parse entities: Unclosed start tag"),
    );
    expect(decision).toEqual({
      action: 'fail',
      reason: "Telegram sendMessage: 400 Bad Request: can't parse entities: Unclosed start tag",
    });
  });

  it('marks a blocked bot as an unreachable chat', () => {
    expect(telegramFailureDecision(refusal(403, 'Forbidden: bot was blocked by the user')).reason).toMatch(
      /^chat unreachable: /u,
    );
  });

  it('a "not modified" wording under another code is not taken as done', () => {
    expect(telegramFailureDecision(refusal(500, 'message is not modified')).action).toBe('retry');
  });

  it('exposes the id a group migrated to', () => {
    const migrated = refusal(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
      migrateToChatId: -1009876543210,
    });
    expect(migratedChatId(migrated)).toBe(-1009876543210);
    expect(migratedChatId(refusal(400, 'Bad Request: chat not found'))).toBeUndefined();
    expect(migratedChatId(new Error('x'))).toBeUndefined();
  });
});
