/**
 * Keeping secrets out of errors, job rows and logs, for every remote's client. Telegram puts the
 * bot token in its URLs; a Basic `Authorization` header is the Nextcloud app password in base64;
 * undici errors may carry URLs, headers or bodies. So every text taken from a response or a raw
 * error goes through `redactSecrets`, and raw errors are replaced by `redactedError` copies.
 */

const REDACTED = '[redacted]';
const HTTP_URL = /\bhttps?:\/\/[^\s"'<>`]*/giu;
const MAX_CAUSE_DEPTH = 4;

/**
 * Removes each secret in its plain, URL-encoded and base64 forms, and every http(s) URL: a
 * Telegram URL holds the token, and a proxy may rewrite one beyond recognition.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
    for (const form of new Set(forms)) result = result.split(form).join(REDACTED);
  }
  return result.replace(HTTP_URL, '[url]');
}

/**
 * A fresh Error mirroring `raw` (name, code, message, stack, cause chain) with secrets removed.
 * Other own properties are dropped on purpose: undici errors may carry headers, bodies or URLs
 * (Node's URL error keeps the whole URL, token included, in `input`).
 */
export function redactedError(raw: unknown, secrets: readonly string[], depth = 0): Error {
  const source = raw instanceof Error ? raw : new Error(String(raw));
  const nested =
    depth < MAX_CAUSE_DEPTH && source.cause !== undefined
      ? { cause: redactedError(source.cause, secrets, depth + 1) }
      : undefined;
  const copy = new Error(redactSecrets(source.message, secrets), nested);
  copy.name = source.name;
  copy.stack = source.stack === undefined ? undefined : redactSecrets(source.stack, secrets);
  const code = errorCode(source);
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

/** An error's string `code` (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`…), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** "HeadersTimeoutError UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error <- …", down the causes. */
export function describeCause(cause: Error): string {
  const parts: string[] = [];
  let inner: unknown = cause;
  while (inner instanceof Error) {
    const code = errorCode(inner);
    parts.push(`${inner.name}${code === undefined ? '' : ` ${code}`}: ${inner.message}`);
    inner = inner.cause;
  }
  return parts.join(' <- ');
}
