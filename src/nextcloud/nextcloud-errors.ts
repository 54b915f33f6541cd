/**
 * The two ways a Nextcloud WebDAV call fails. Neither keeps a URL, a header or the app password:
 * errors end up in job rows and logs, and a Basic `Authorization` header is the password in
 * base64. Server texts and causes go through `redactSecrets` first (every http(s) URL removed).
 */
import { describeCause, errorCode, redactedError, redactSecrets } from '../http/redact.ts';

/** Nextcloud answered with a status we do not accept for that call. */
export class NextcloudError extends Error {
  /** The WebDAV method: PUT, MKCOL, PROPFIND, DELETE. */
  readonly method: string;
  /** Relative to the user's files root, NFC, as given to the archive (never a URL). */
  readonly path: string;
  readonly status: number;
  /** Sabre's `<s:message>` (redacted, shortened), when the body had one. */
  readonly serverMessage: string | undefined;
  /** Nextcloud's `<o:retry>` on InvalidPath (400): whether the server thinks a retry may pass. */
  readonly serverRetry: boolean | undefined;
  /** Seconds to wait before trying again (`Retry-After`, as seconds or as an HTTP date). */
  readonly retryAfter: number | undefined;

  constructor(fields: {
    method: string;
    path: string;
    status: number;
    serverMessage?: string | undefined;
    serverRetry?: boolean | undefined;
    retryAfter?: number | undefined;
  }) {
    const detail = fields.serverMessage === undefined ? '' : `: ${fields.serverMessage}`;
    super(`Nextcloud ${fields.method} ${displayPath(fields.path)} answered ${fields.status}${detail}`);
    this.name = 'NextcloudError';
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.serverMessage = fields.serverMessage;
    this.serverRetry = fields.serverRetry;
    this.retryAfter = fields.retryAfter;
  }
}

/**
 * The call got no usable answer: network error, timeout, a body stream cut short, or a file
 * stored with another size than the one sent (the bytes did not all arrive).
 */
export class NextcloudTransportError extends Error {
  readonly method: string;
  readonly path: string;
  /** The cause's code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, `STORED_SIZE_MISMATCH`…). */
  readonly code: string | undefined;
  declare readonly cause: Error;

  /** `cause` must already be redacted: use `nextcloudTransportError` to build one from a raw error. */
  constructor(method: string, path: string, cause: Error) {
    super(`Nextcloud ${method} ${displayPath(path)} transport failed: ${describeCause(cause)}`, { cause });
    this.name = 'NextcloudTransportError';
    this.method = method;
    this.path = path;
    this.code = errorCode(cause);
  }
}

/** The secrets to scrub from anything we keep: the password and the Basic credentials it makes. */
export function credentialSecrets(user: string, password: string): string[] {
  const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return [password, basic];
}

/** A NextcloudTransportError whose cause chain keeps names and codes but no secret and no URL. */
export function nextcloudTransportError(
  method: string,
  path: string,
  raw: unknown,
  secrets: readonly string[],
): NextcloudTransportError {
  return new NextcloudTransportError(method, path, redactedError(raw, secrets));
}

const MAX_SERVER_MESSAGE_CHARS = 300;

/**
 * The parts of a sabre/Nextcloud error body worth keeping:
 * `<d:error><s:exception/><s:message>…</s:message><o:retry>false</o:retry></d:error>`.
 * Tolerant on purpose: a proxy's HTML page simply yields nothing.
 */
export function parseErrorBody(
  body: string,
  secrets: readonly string[],
): { serverMessage: string | undefined; serverRetry: boolean | undefined } {
  const message = elementText(body, 'message');
  const retry = elementText(body, 'retry')?.trim().toLowerCase();
  return {
    serverMessage:
      message === undefined || message.trim() === ''
        ? undefined
        : redactSecrets(message.trim(), secrets).slice(0, MAX_SERVER_MESSAGE_CHARS),
    serverRetry: retry === 'true' ? true : retry === 'false' ? false : undefined,
  };
}

/** The text of the first element with this local name, whatever its namespace prefix. */
function elementText(xml: string, localName: string): string | undefined {
  const match = new RegExp(
    `<(?:[\\w.-]+:)?${localName}\\b[^>]*>([\\s\\S]*?)</(?:[\\w.-]+:)?${localName}>`,
    'u',
  ).exec(xml);
  return match === null ? undefined : decodeXmlEntities(match[1]!);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/giu, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return codePoint(Number.parseInt(name.slice(2), 16), entity);
    if (name.startsWith('#')) return codePoint(Number.parseInt(name.slice(1), 10), entity);
    return XML_ENTITIES[name] ?? entity;
  });
}

function codePoint(value: number, fallback: string): string {
  return value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : fallback;
}

function displayPath(path: string): string {
  return path === '' ? '/' : path;
}
