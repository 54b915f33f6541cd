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

const REDACTED = '[redacted]';
const HTTP_URL = /\bhttps?:\/\/[^\s"'<>`]*/giu;

/**
 * Removes the given secrets (and their URL-encoded forms) and every http(s) URL from a text.
 * URLs go entirely: a Telegram URL holds the token, and a proxy may rewrite it beyond recognition.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      result = result.split(form).join(REDACTED);
  }
  return result.replace(HTTP_URL, '[url]');
}

/** A TelegramTransportError whose cause chain keeps names and codes but no secret and no URL. */
export function transportError(
  method: string,
  raw: unknown,
  secrets: readonly string[],
): TelegramTransportError {
  return new TelegramTransportError(method, redactedCopy(raw, secrets, 0));
}

const MAX_CAUSE_DEPTH = 4;

/**
 * A fresh Error mirroring `raw` (name, code, message, stack, cause chain) with secrets removed.
 * Other own properties are dropped on purpose: undici errors may carry headers, bodies or URLs.
 */
function redactedCopy(raw: unknown, secrets: readonly string[], depth: number): Error {
  const source = raw instanceof Error ? raw : new Error(String(raw));
  const nested =
    depth < MAX_CAUSE_DEPTH && source.cause !== undefined
      ? { cause: redactedCopy(source.cause, secrets, depth + 1) }
      : undefined;
  const copy = new Error(redactSecrets(source.message, secrets), nested);
  copy.name = source.name;
  copy.stack = source.stack === undefined ? undefined : redactSecrets(source.stack, secrets);
  const code = errorCode(source);
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** "HeadersTimeoutError UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error", then the deepest cause. */
function describeCause(cause: Error): string {
  const parts = [describeOne(cause)];
  let inner: unknown = cause.cause;
  while (inner instanceof Error) {
    parts.push(describeOne(inner));
    inner = inner.cause;
  }
  return parts.join(' <- ');
}

function describeOne(error: Error): string {
  const code = errorCode(error);
  return `${error.name}${code === undefined ? '' : ` ${code}`}: ${error.message}`;
}
