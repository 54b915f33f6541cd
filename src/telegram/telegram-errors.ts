import { describeCause, errorCode, redactedError } from '../http/redact.ts';

/**
 * The two ways a Bot API call fails. Telegram puts the bot token in every URL, so neither error
 * keeps a URL or the token: descriptions and causes are passed through `redactSecrets` first.
 */

/** Telegram answered and refused the call (`{ ok: false, error_code, description, parameters }`). */
export class TelegramApiError extends Error {
  readonly method: string;
  /** Telegram's `error_code`, or the HTTP status when the body was not Telegram's JSON. */
  readonly errorCode: number;
  readonly description: string;
  /** Seconds to wait before repeating the call (`parameters.retry_after` or `Retry-After`). */
  readonly retryAfter: number | undefined;
  /** The group became a supergroup with this id: store it and send there. */
  readonly migrateToChatId: number | undefined;

  constructor(fields: {
    method: string;
    errorCode: number;
    description: string;
    retryAfter?: number | undefined;
    migrateToChatId?: number | undefined;
  }) {
    super(`Telegram ${fields.method} failed: ${fields.errorCode} ${fields.description}`);
    this.name = 'TelegramApiError';
    this.method = fields.method;
    this.errorCode = fields.errorCode;
    this.description = fields.description;
    this.retryAfter = fields.retryAfter;
    this.migrateToChatId = fields.migrateToChatId;
  }
}

/** The call did not get an answer from Telegram: network error, timeout, malformed response. */
export class TelegramTransportError extends Error {
  readonly method: string;
  /** The cause's code (`UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`…) when it had one. */
  readonly code: string | undefined;
  declare readonly cause: Error;

  /** `cause` must already be redacted: use `transportError` to build one from a raw error. */
  constructor(method: string, cause: Error) {
    super(`Telegram ${method} transport failed: ${describeCause(cause)}`, { cause });
    this.name = 'TelegramTransportError';
    this.method = method;
    this.code = errorCode(cause);
  }
}

/** A TelegramTransportError whose cause chain keeps names and codes but no secret and no URL. */
export function transportError(
  method: string,
  raw: unknown,
  secrets: readonly string[],
): TelegramTransportError {
  return new TelegramTransportError(method, redactedError(raw, secrets));
}
