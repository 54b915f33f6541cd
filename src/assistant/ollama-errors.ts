/**
 * The ways an Ollama call fails (https://docs.ollama.com/api/errors). Messages name the
 * endpoint, never the base URL: an OLLAMA_URL may carry a reverse proxy's credentials.
 */

export type OllamaEndpoint = '/api/version' | '/api/tags' | '/api/embed' | '/api/chat';

/** Ollama answered with an HTTP error and its `{"error": "..."}` body. */
export class OllamaApiError extends Error {
  readonly endpoint: OllamaEndpoint;
  readonly status: number;
  readonly description: string;
  /** The model asked for, when the call named one. */
  readonly model: string | undefined;
  /** From a `Retry-After` header (a proxy in front of Ollama may send one; Ollama does not). */
  readonly retryAfterMs: number | undefined;

  constructor(fields: {
    endpoint: OllamaEndpoint;
    status: number;
    description: string;
    model?: string | undefined;
    retryAfterMs?: number | undefined;
  }) {
    super(`Ollama ${fields.endpoint} failed: ${fields.status} ${fields.description}`);
    this.name = 'OllamaApiError';
    this.endpoint = fields.endpoint;
    this.status = fields.status;
    this.description = fields.description;
    this.model = fields.model;
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/**
 * No usable answer: Ollama down (ECONNREFUSED), connection dropped, or a deadline passed
 * (`ETIMEDOUT`: no first byte while a model loads for too long, a stalled stream, a call
 * longer than its total budget).
 */
export class OllamaTransportError extends Error {
  readonly endpoint: OllamaEndpoint;
  /** `ECONNREFUSED`, `UND_ERR_SOCKET`, `ETIMEDOUT`… when known. */
  readonly code: string | undefined;

  constructor(endpoint: OllamaEndpoint, message: string, code: string | undefined) {
    super(`Ollama ${endpoint} transport failed: ${message}`);
    this.name = 'OllamaTransportError';
    this.endpoint = endpoint;
    this.code = code;
  }
}

/**
 * A streamed answer began (HTTP 200) and then failed: an `{"error": "..."}` line (the runner
 * crashed, ran out of memory…) or the stream ended without its `done: true` line.
 */
export class OllamaStreamError extends Error {
  readonly endpoint: OllamaEndpoint;
  readonly description: string;
  /** Characters of answer received before the failure: the partial text is never used. */
  readonly receivedChars: number;

  constructor(endpoint: OllamaEndpoint, description: string, receivedChars: number) {
    super(`Ollama ${endpoint} stream failed after ${receivedChars} characters: ${description}`);
    this.name = 'OllamaStreamError';
    this.endpoint = endpoint;
    this.description = description;
    this.receivedChars = receivedChars;
  }
}

/** The answer is not what the API describes (not JSON, wrong shape, wrong number of vectors). */
export class OllamaProtocolError extends Error {
  readonly endpoint: OllamaEndpoint;

  constructor(endpoint: OllamaEndpoint, message: string) {
    super(`Ollama ${endpoint} answered unexpectedly: ${message}`);
    this.name = 'OllamaProtocolError';
    this.endpoint = endpoint;
  }
}

/** Any way Ollama failed to give a usable answer (as opposed to a bug of ours). */
export function isOllamaFailure(
  error: unknown,
): error is OllamaApiError | OllamaTransportError | OllamaStreamError | OllamaProtocolError {
  return (
    error instanceof OllamaApiError ||
    error instanceof OllamaTransportError ||
    error instanceof OllamaStreamError ||
    error instanceof OllamaProtocolError
  );
}
