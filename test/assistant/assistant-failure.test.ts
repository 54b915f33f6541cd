import { describe, expect, it } from 'vitest';
import { AssistantInputError, assistantFailureDecision } from '../../src/assistant/assistant-failure.ts';
import { EmbeddingDimensionError } from '../../src/assistant/knowledge-index.ts';
import { KnowledgeSourceError } from '../../src/assistant/knowledge-source.ts';
import {
  OllamaApiError,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from '../../src/assistant/ollama-errors.ts';

const api = (status: number, retryAfterMs?: number) =>
  new OllamaApiError({ endpoint: '/api/chat', status, description: 'x', model: 'mistral', retryAfterMs });

const transient: [string, unknown][] = [
  ['Ollama down', new OllamaTransportError('/api/chat', 'connect ECONNREFUSED', 'ECONNREFUSED')],
  ['a hang', new OllamaTransportError('/api/chat', 'no answer', 'ETIMEDOUT')],
  [
    'an error line mid-stream',
    new OllamaStreamError('/api/chat', 'llama runner process has terminated', 120),
  ],
  ['a malformed answer', new OllamaProtocolError('/api/embed', 'not JSON')],
  ['500', api(500)],
  ['502', api(502)],
  ['499 request canceled', api(499)],
  ['the notes folder unreadable', new KnowledgeSourceError('Wiki_SAV unreachable')],
  ['a dimension change', new EmbeddingDimensionError(768, 1024)],
  ['a bug', new TypeError('x is undefined')],
];

const permanent: [string, unknown, string][] = [
  ['a model not pulled (404)', api(404), 'model mistral is not pulled on Ollama (ollama pull mistral)'],
  ['a bad request (400)', api(400), 'Ollama /api/chat failed: 400 x'],
  ['an empty question', new AssistantInputError('the question is empty'), 'the question is empty'],
];

describe('what a failed assistant job does next', () => {
  it.each(transient)('retries after %s', (_name, error) => {
    expect(assistantFailureDecision(error).action).toBe('retry');
  });

  it('waits before retrying a full queue (503), as long as a Retry-After says if there is one', () => {
    expect(assistantFailureDecision(api(503))).toMatchObject({ action: 'retry', delayMs: 30_000 });
    expect(assistantFailureDecision(api(503, 5_000))).toMatchObject({ action: 'retry', delayMs: 5_000 });
    expect(assistantFailureDecision(api(429, 7_000))).toMatchObject({ action: 'retry', delayMs: 7_000 });
  });

  it.each(permanent)('gives up at once on %s', (_name, error, reason) => {
    expect(assistantFailureDecision(error)).toEqual({
      action: 'fail',
      reason: expect.stringContaining(reason),
    });
  });
});
