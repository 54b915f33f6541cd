import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DeckApiError,
  deckTransportError,
  isArchivedError,
  isStaleIdError,
} from '../../src/nextcloud/deck-errors.ts';
import { deckFailureDecision, THROTTLED_DELAY_MS } from '../../src/nextcloud/deck-failure.ts';

const refusal = (status: number, description: string, retryAfter?: number) =>
  new DeckApiError({
    operation: 'createCard',
    request: 'POST /boards/1/stacks/2/cards',
    status,
    description,
    retryAfter,
  });

const timeout = Object.assign(new Error('no answer within 60000 ms'), {
  name: 'DeadlineExceededError',
  code: 'ETIMEDOUT',
});

describe('deckFailureDecision', () => {
  it.each([
    ['a timeout', deckTransportError('createCard', 'POST /boards/1/stacks/2/cards', timeout, []), 'retry'],
    [
      'a refused connection',
      deckTransportError('ensureStack', 'GET /boards', new Error('connect ECONNREFUSED'), []),
      'retry',
    ],
    ['a 500 with a request id', refusal(500, 'Internal Server Error'), 'retry'],
    ['a 502 from the proxy', refusal(502, 'HTTP 502 without a Deck JSON body'), 'retry'],
    ['a 503 in maintenance mode', refusal(503, 'Service Unavailable'), 'retry'],
    ['a wrong app password', refusal(401, 'Current user is not logged in'), 'fail'],
    ['a 403 that survived a re-resolution', refusal(403, 'Permission denied'), 'fail'],
    ['a write to an archived board', refusal(500, 'Operation not allowed. This board is archived.'), 'fail'],
    ['a write to an archived card', refusal(500, 'Operation not allowed. This card is archived.'), 'fail'],
    ['a label of another board', refusal(500, 'Label does not exist.'), 'fail'],
    ['a title too long', refusal(400, 'title cannot be longer than 255 characters '), 'fail'],
    ['a card gone', refusal(404, 'Card not found'), 'fail'],
    ['a missing OCS-APIRequest header', refusal(412, 'CSRF check failed'), 'fail'],
    ['a redirect to a login page', refusal(302, 'HTTP 302 without a Deck JSON body'), 'fail'],
    ['anything else thrown', new TypeError('boom'), 'retry'],
  ] as const)('%s → %s', (_case, error, action) => {
    expect(deckFailureDecision(error).action).toBe(action);
  });

  it('backs off for Retry-After, or for minutes, when Nextcloud throttles us', () => {
    expect(deckFailureDecision(refusal(429, 'Too many requests', 30))).toMatchObject({
      action: 'retry',
      delayMs: 30_000,
    });
    expect(deckFailureDecision(refusal(429, 'Too many requests'))).toMatchObject({
      action: 'retry',
      delayMs: THROTTLED_DELAY_MS,
    });
  });

  it('says why in terms the office can act on', () => {
    expect(deckFailureDecision(refusal(401, 'Current user is not logged in')).reason).toMatch(
      /app password/u,
    );
    expect(
      deckFailureDecision(refusal(500, 'Operation not allowed. This board is archived.')).reason,
    ).toMatch(/archived board/u);
    expect(deckFailureDecision(refusal(403, 'Permission denied')).reason).toMatch(/even with fresh ids/u);
  });
});

describe('Deck errors', () => {
  it('recognise stale ids (403) and archived boards or cards (bare 500)', () => {
    expect(isStaleIdError(refusal(403, 'Permission denied'))).toBe(true);
    expect(isStaleIdError(refusal(404, 'Card not found'))).toBe(false);
    expect(isArchivedError(refusal(500, 'Operation not allowed. This board is archived.'))).toBe(true);
    expect(isArchivedError(refusal(500, 'Internal Server Error'))).toBe(false);
    expect(isArchivedError(refusal(400, 'This board is archived'))).toBe(false);
  });

  it('keep the cause chain of a transport error, without secrets or extra properties', () => {
    const secret = 'Fake-App-Password-0000';
    const inner = Object.assign(new Error(`socket hang up near ${secret}`), { code: 'ECONNRESET' });
    const raw = Object.assign(new Error(`fetch failed for ${secret}`, { cause: inner }), {
      headers: { authorization: `Basic ${secret}` },
    });
    const error = deckTransportError('findCard', 'GET /boards/1/stacks', raw, [secret]);
    expect(error.code).toBeUndefined();
    expect(error.message).toBe(
      'Deck findCard (GET /boards/1/stacks) got no usable answer: Error: fetch failed for [redacted] <- Error ECONNRESET: socket hang up near [redacted]',
    );
    expect(error.cause).not.toHaveProperty('headers');
    expect((error.cause.cause as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(inspect(error, { depth: 10 })).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });
});
