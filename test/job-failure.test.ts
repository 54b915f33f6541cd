import { describe, expect, it } from 'vitest';
import { AssistantInputError } from '../src/assistant/assistant-failure.ts';
import { KnowledgeSourceError } from '../src/assistant/knowledge-source.ts';
import {
  OllamaApiError,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from '../src/assistant/ollama-errors.ts';
import { decideFailure, FAILURE_POLICIES } from '../src/job-failure.ts';
import { DeckApiError, DeckTransportError } from '../src/nextcloud/deck-errors.ts';
import { NextcloudError, NextcloudTransportError } from '../src/nextcloud/nextcloud-errors.ts';
import { TelegramApiError, TelegramTransportError } from '../src/telegram/telegram-errors.ts';

const telegram = (errorCode: number, description: string, retryAfter?: number) =>
  new TelegramApiError({ method: 'sendMessage', errorCode, description, retryAfter });
const webdav = (status: number) => new NextcloudError({ method: 'PUT', path: 'Chantiers/a.jpg', status });
const deck = (status: number, description = 'refused') =>
  new DeckApiError({ operation: 'addComment', request: 'POST /cards/1/comments', status, description });
const ollama = (status: number) =>
  new OllamaApiError({ endpoint: '/api/chat', status, description: 'refused', model: 'qwen' });
const cause = new Error('connect ECONNREFUSED');

/** One row per (remote, error) the table must judge; the action is that remote's own policy. */
const rows: [string, unknown, string][] = [
  ['Telegram transport', new TelegramTransportError('sendMessage', cause), 'retry'],
  ['Telegram 429', telegram(429, 'Too Many Requests: retry after 30', 30), 'retry'],
  ['Telegram 502', telegram(502, 'Bad Gateway'), 'retry'],
  ['Telegram 401', telegram(401, 'Unauthorized'), 'fail'],
  ['Telegram 403 bot blocked', telegram(403, 'Forbidden: bot was blocked by the user'), 'fail'],
  ['Telegram 400 not modified', telegram(400, 'Bad Request: message is not modified'), 'done'],
  ['WebDAV transport', new NextcloudTransportError('PUT', 'Chantiers/a.jpg', cause), 'retry'],
  ['WebDAV 401', webdav(401), 'fail'],
  ['WebDAV 403', webdav(403), 'fail'],
  ['WebDAV 423 locked', webdav(423), 'retry'],
  ['WebDAV 507 full', webdav(507), 'fail'],
  ['Deck transport', new DeckTransportError('addComment', 'POST /cards/1/comments', cause), 'retry'],
  ['Deck 401', deck(401, 'Current user is not logged in'), 'fail'],
  ['Deck 403', deck(403, 'Permission denied'), 'fail'],
  ['Deck 503', deck(503, 'Service Unavailable'), 'retry'],
  [
    'Ollama transport',
    new OllamaTransportError('/api/chat', 'connect ECONNREFUSED', 'ECONNREFUSED'),
    'retry',
  ],
  ['Ollama 404 model missing', ollama(404), 'fail'],
  ['Ollama 503 queue full', ollama(503), 'retry'],
  ['Ollama stream cut', new OllamaStreamError('/api/chat', 'runner crashed', 12), 'retry'],
  ['Ollama odd answer', new OllamaProtocolError('/api/chat', 'no message'), 'retry'],
  ['assistant empty question', new AssistantInputError('empty'), 'fail'],
  ['knowledge folder unreadable', new KnowledgeSourceError('cannot read', { cause }), 'retry'],
  [
    'knowledge sync refused by WebDAV 401',
    new KnowledgeSourceError('cannot read', { cause: webdav(401) }),
    'fail',
  ],
  ['an unknown error', new Error('database is locked'), 'retry'],
  ['a thrown string', 'boom', 'retry'],
];

describe('decideFailure', () => {
  it.each(rows)('%s → %s', (_name, error, action) => {
    expect(decideFailure(error).action).toBe(action);
  });

  it('judges a Deck 401 by Deck’s policy whatever job raised it: never retried in a loop', () => {
    expect(decideFailure(deck(401))).toMatchObject({ action: 'fail' });
  });

  it('keeps each remote’s retry_after as the delay', () => {
    expect(decideFailure(telegram(429, 'Too Many Requests', 30))).toMatchObject({ delayMs: 30_000 });
  });

  it('has exactly one policy per remote, and no error class in two of them', () => {
    expect(FAILURE_POLICIES.map((p) => p.remote)).toEqual(['Telegram', 'WebDAV', 'Deck', 'Ollama']);
    const classes = FAILURE_POLICIES.flatMap((p) => p.errors);
    expect(new Set(classes).size).toBe(classes.length);
  });
});
