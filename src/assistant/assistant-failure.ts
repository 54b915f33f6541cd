import { type FailureDecision, retryUnexpected } from '../queue/failure.ts';
import { EmbeddingDimensionError } from './knowledge-index.ts';
import { KnowledgeSourceError } from './knowledge-source.ts';
import {
  OllamaApiError,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from './ollama-errors.ts';

/** Thrown for a question the assistant cannot take (empty): asking again changes nothing. */
export class AssistantInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssistantInputError';
  }
}

/** Ollama answers 503 when its queue (OLLAMA_MAX_QUEUE) is full: give the queue time to drain. */
export const QUEUE_FULL_DELAY_MS = 30_000;

/**
 * The assistant's retry policy (Ollama's errors: https://docs.ollama.com/api/errors). The job's `maxAttempts` bounds the
 * retries; a dead job stays visible and can be retried from the admin API once fixed.
 */
export function assistantFailureDecision(error: unknown): FailureDecision {
  if (error instanceof OllamaTransportError) {
    return {
      action: 'retry',
      reason:
        error.code === 'ETIMEDOUT' ? `Ollama too slow: ${error.message}` : `Ollama down: ${error.message}`,
    };
  }
  if (error instanceof OllamaApiError) return apiErrorDecision(error);
  // The runner crashed or ran out of memory mid-answer, or the stream stopped short: transient.
  if (error instanceof OllamaStreamError || error instanceof OllamaProtocolError) {
    return { action: 'retry', reason: error.message };
  }
  if (error instanceof KnowledgeSourceError) return { action: 'retry', reason: error.message };
  if (error instanceof EmbeddingDimensionError) return { action: 'retry', reason: error.message };
  if (error instanceof AssistantInputError) return { action: 'fail', reason: error.message };
  return retryUnexpected(error, 'in the SAV assistant');
}

function apiErrorDecision(error: OllamaApiError): FailureDecision {
  if (error.status === 404) {
    const model = error.model ?? 'the configured model';
    return {
      action: 'fail',
      reason: `model ${model} is not pulled on Ollama (ollama pull ${model}): ${error.description}`,
    };
  }
  if (error.status === 503) {
    return {
      action: 'retry',
      reason: `Ollama queue full: ${error.description}`,
      delayMs: error.retryAfterMs ?? QUEUE_FULL_DELAY_MS,
    };
  }
  if (error.status === 429) {
    return error.retryAfterMs === undefined
      ? { action: 'retry', reason: error.message }
      : { action: 'retry', reason: error.message, delayMs: error.retryAfterMs };
  }
  // 499 "request canceled", 500 internal, 502 cloud model unreachable: may pass.
  if (error.status >= 500 || error.status === 499) return { action: 'retry', reason: error.message };
  // 400: a bad request or a model that "does not support chat": the configuration is wrong.
  return { action: 'fail', reason: error.message };
}
