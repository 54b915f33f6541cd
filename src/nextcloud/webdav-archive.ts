import { readBoundedText } from '../http/bounded-body.ts';
import { startDeadline } from '../http/deadline.ts';
import { retryAfterSeconds } from '../http/retry-after.ts';
import { type DecodedText, decodeText } from '../text/decode-text.ts';
/**
 * The Nextcloud files of the service account, over WebDAV, as the reports need them: list a
 * folder, create folders, upload without ever overwriting (https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/basic.html).
 *
 * Requests go through undici rather than the `webdav` package's client: we need the exact
 * status of every call (MKCOL 405 vs 409, PUT 404/409/412), an explicit Content-Length on a
 * streamed body (webdav v5 drops it for streams, and a chunked PUT may be stored as 0 bytes),
 * `Retry-After`, one connection pool with timeouts, and errors we can strip of the password.
 * PROPFIND answers are still parsed by webdav's `parseXML`.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as pause } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import { type DAVResultResponse, parseXML } from 'webdav';
import {
  credentialSecrets,
  NextcloudError,
  nextcloudTransportError,
  parseErrorBody,
} from './nextcloud-errors.ts';

export interface FolderEntry {
  /** Decoded and NFC. */
  readonly name: string;
  readonly type: 'file' | 'directory';
  /** Bytes; 0 for folders. */
  readonly size: number;
}

/** A body we can send again: bytes, or a function opening a fresh stream of known size each time. */
export type UploadBody = Buffer | (() => Promise<{ stream: Readable; size: number }>);

/**
 * 'created'; 'identical' when the name already holds these very bytes (their SHA-1 is the one
 * Nextcloud stored with them: our own earlier attempt); 'exists' when it holds something else.
 */
export type UploadOutcome = 'created' | 'identical' | 'exists';

export interface NextcloudArchive {
  /** Entries of a folder (names NFC, decoded), or undefined when the folder does not exist. */
  listFolder(path: string): Promise<FolderEntry[] | undefined>;
  /**
   * Creates every missing level of `path` with MKCOL. An existing folder (405) counts as success,
   * and so does a creation lost to a parallel request (Nextcloud 403 "Could not create directory",
   * Apache 403 "File exists") once a PROPFIND shows the folder there.
   */
  ensureFolder(path: string): Promise<void>;
  /**
   * Uploads without ever overwriting: 'created', 'identical' or 'exists' (412, see
   * UploadOutcome). A Buffer goes with `OC-Checksum: SHA1:<hex>`, which Nextcloud keeps with the
   * file, so a retry can tell its own upload from another file of the same size.
   * Never sends `X-NC-WebDAV-Auto-Mkcol`: Nextcloud 32 creates those parents check-then-create,
   * and parallel uploads into a new folder then lose photos (423, 404, 403). Callers create the
   * folder first; a missing parent (404/409) is still created here and the PUT tried once more.
   * Sends an explicit Content-Length (never chunked), then checks the stored size; a file stored
   * with another size is deleted and the call throws a NextcloudTransportError
   * (STORED_SIZE_MISMATCH) so the job retries. An empty file found where a non-empty one is due
   * (the leftover of such a failure) is replaced instead of reported as 'exists'. `size`, when
   * given, must equal the body's size.
   */
  uploadNew(path: string, body: UploadBody, size?: number): Promise<UploadOutcome>;
  /** Writes a small UTF-8 text file (the report's Markdown) the same way, without overwriting. */
  writeTextNew(path: string, text: string): Promise<UploadOutcome>;
  /**
   * A text file's content, decoded by its bytes (src/text/decode-text.ts: UTF-8, a BOM's encoding,
   * else windows-1252, which the result names): the assistant's known fixes live in Nextcloud.
   */
  readText(path: string): Promise<DecodedText>;
  /**
   * `<url>/index.php/apps/files/?dir=/<path>`: the folder in the Files app. The path is the
   * service account's; another user sees it at the same place only if the tree is shared the
   * same way (a group folder), not through a plain share mounted elsewhere.
   */
  folderLink(path: string): string;
  /** Closes the connection pool the archive created (not a dispatcher passed in). */
  close(): Promise<void>;
}

export interface NextcloudArchiveOptions {
  /** NEXTCLOUD_URL, e.g. `https://cloud.example.fr` (no `/remote.php`). */
  readonly url: string;
  /** The account's user id, as in `/remote.php/dav/files/<user>/`. */
  readonly user: string;
  /** An app password, never the login password. */
  readonly password: string;
  /**
   * Longest wait for an answer, and for progress while sending or receiving a body. Default
   * 60 s: Nextcloud's brute-force throttle may delay a request by up to 25 s.
   */
  readonly timeoutMs?: number;
  /** A shared undici dispatcher; by default the archive owns an Agent with the timeouts above. */
  readonly dispatcher?: Dispatcher;
  /** Longest whole request, upload or download included. Default 2 min: under the job lock (5 min). */
  readonly deadlineMs?: number;
  /**
   * The pause before trying again a request answered 423 Locked (another request holds the path
   * for a moment, e.g. while creating its folder). Default 1 s, tried LOCKED_TRIES times in all.
   */
  readonly lockedPauseMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_DEADLINE_MS = 120_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const PHOTO_CONTENT_TYPE = 'application/octet-stream';
const TEXT_CONTENT_TYPE = 'text/markdown; charset=utf-8';
const DEFAULT_LOCKED_PAUSE_MS = 1000;
/** A lock held by a parallel creation lasts milliseconds: past this, the job's own retry takes over. */
export const LOCKED_TRIES = 3;
const STAT_BODY = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">
  <d:prop><d:resourcetype/><d:getcontentlength/><d:getetag/><oc:checksums/></d:prop>
</d:propfind>`;

export function createNextcloudArchive(options: NextcloudArchiveOptions): NextcloudArchive {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  const baseUrl = options.url.replace(/\/+$/u, '');
  const dav: Dav = {
    filesUrl: `${baseUrl}/remote.php/dav/files/${encodeURIComponent(options.user)}/`,
    authorization: `Basic ${Buffer.from(`${options.user}:${options.password}`, 'utf8').toString('base64')}`,
    secrets: credentialSecrets(options.user, options.password),
    dispatcher: options.dispatcher ?? ownAgent!,
    timeoutMs,
    lockedPauseMs: options.lockedPauseMs ?? DEFAULT_LOCKED_PAUSE_MS,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    foldersInProgress: new Map(),
  };
  return {
    listFolder: async (path) => listFolder(dav, davSegments(path)),
    readText: async (path) => readText(dav, fileSegments(path)),
    ensureFolder: async (path) => ensureFolder(dav, davSegments(path)),
    uploadNew: async (path, body, size) => uploadNew(dav, fileSegments(path), body, size, PHOTO_CONTENT_TYPE),
    writeTextNew: async (path, text) =>
      uploadNew(dav, fileSegments(path), Buffer.from(text, 'utf8'), undefined, TEXT_CONTENT_TYPE),
    folderLink: (path) => `${baseUrl}/index.php/apps/files/?dir=${encodeDirParameter(davSegments(path))}`,
    close: async () => ownAgent?.close(),
  };
}

interface Dav {
  /** `<url>/remote.php/dav/files/<user>/`, with its trailing slash. */
  readonly filesUrl: string;
  readonly authorization: string;
  readonly secrets: readonly string[];
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly lockedPauseMs: number;
  readonly deadlineMs: number;
  /** Folder creations under way in this process, by path: concurrent callers share one. */
  readonly foldersInProgress: Map<string, Promise<void>>;
}

/**
 * A path relative to the user's root as NFC segments (Nextcloud stores names NFC; the test
 * server does too). Empty segments (leading, trailing, doubled slashes) are dropped; `.` and
 * `..` are refused because URL resolution would climb out of the folder they name.
 */
export function davSegments(path: string): string[] {
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.normalize('NFC'));
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new RangeError(`a Nextcloud path may not contain '.' or '..': ${JSON.stringify(path)}`);
  }
  return segments;
}

function fileSegments(path: string): string[] {
  const segments = davSegments(path);
  if (segments.length === 0) throw new RangeError('a file path needs at least a file name');
  return segments;
}

function urlOf(dav: Dav, segments: readonly string[]): string {
  return dav.filesUrl + segments.map(encodeURIComponent).join('/');
}

function encodeDirParameter(segments: readonly string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

// ── Folders ──────────────────────────────────────────────────────────────────────────────

async function listFolder(dav: Dav, segments: string[]): Promise<FolderEntry[] | undefined> {
  const answer = await exchange(dav, 'PROPFIND', segments, { headers: { depth: '1' }, accept: [207, 404] });
  if (answer.status === 404) return undefined;
  const self = decodedPath(new URL(urlOf(dav, segments)).pathname);
  const entries: FolderEntry[] = [];
  for (const response of await multistatus(dav, 'PROPFIND', segments, answer.body)) {
    const path = decodedPath(hrefPath(response.href));
    if (path === self) continue;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const properties = propertiesOf(response);
    if (name === '' || properties === undefined) continue;
    entries.push({ name, type: properties.type, size: properties.size });
  }
  return entries;
}

function ensureFolder(dav: Dav, segments: string[]): Promise<void> {
  if (segments.length === 0) return Promise.resolve();
  const key = segments.join('/');
  const pending = dav.foldersInProgress.get(key);
  if (pending !== undefined) return pending;
  const creation = createFolder(dav, segments).finally(() => dav.foldersInProgress.delete(key));
  dav.foldersInProgress.set(key, creation);
  return creation;
}

/**
 * MKCOL on the folder itself first: when it exists (the usual case) that is one request.
 * 405 means it is there already (or a file took its name: the PUT inside then fails 409).
 * 409 means a level above is missing: create that first, then this one once more.
 */
async function createFolder(dav: Dav, segments: string[]): Promise<void> {
  const first = await mkcol(dav, segments, [201, 405, 409]);
  if (first !== 409) return;
  await ensureFolder(dav, segments.slice(0, -1));
  await mkcol(dav, segments, [201, 405]);
}

/**
 * One MKCOL, tried again after a pause while locked (423). A 403 may be a race lost to another job or replica
 * that created the folder a moment earlier (Nextcloud checks, then creates): the folder being
 * there now is success; otherwise the 403 stands (no permission).
 */
async function mkcol(dav: Dav, segments: string[], accept: readonly number[]): Promise<number> {
  try {
    return (await whileLocked(dav, async () => exchange(dav, 'MKCOL', segments, { accept }))).status;
  } catch (error) {
    if (!(error instanceof NextcloudError && error.status === 403)) throw error;
    if ((await stat(dav, segments))?.type === 'directory') return 201;
    throw error;
  }
}

// ── Uploads ──────────────────────────────────────────────────────────────────────────────

async function uploadNew(
  dav: Dav,
  segments: string[],
  body: UploadBody,
  size: number | undefined,
  contentType: string,
): Promise<UploadOutcome> {
  const checksum = Buffer.isBuffer(body) ? sha1Checksum(body) : undefined;
  const upload = { dav, segments, body, size, contentType, checksum };
  let sent = await put(upload, { 'if-none-match': '*' }, [201, 204, 404, 409, 412]);
  // Nextcloud answers 404, Apache and RFC 4918 409; both mean "no parent folder".
  if (sent.status === 404 || sent.status === 409) {
    await ensureFolder(dav, segments.slice(0, -1));
    sent = await put(upload, { 'if-none-match': '*' }, [201, 204, 412]);
  }
  if (sent.status === 412) return whatIsThere(upload, sent.size);
  await verifyStoredSize(dav, segments, sent.size);
  return 'created';
}

interface Upload {
  readonly dav: Dav;
  readonly segments: string[];
  readonly body: UploadBody;
  readonly size: number | undefined;
  readonly contentType: string;
  /** `SHA1:<hex>` of a Buffer body; unknown for a stream. */
  readonly checksum: string | undefined;
}

/** Nextcloud's OC-Checksum notation; the hex digits in lower case as Nextcloud writes them. */
export function sha1Checksum(bytes: Buffer): string {
  return `SHA1:${createHash('sha1').update(bytes).digest('hex')}`;
}

/** After a 412: our own bytes ('identical'), an empty leftover (replaced) or another file ('exists'). */
async function whatIsThere(upload: Upload, size: number): Promise<UploadOutcome> {
  const existing = await stat(upload.dav, upload.segments);
  if (
    existing?.type === 'file' &&
    upload.checksum !== undefined &&
    existing.checksums.includes(upload.checksum)
  ) {
    return 'identical';
  }
  return replaceEmptyLeftover(upload, existing, size);
}

/**
 * Something is at the path. An empty file where we send bytes is the leftover of an upload
 * stored as 0 bytes (deleting it failed, or the process stopped before checking): replace that
 * exact version (If-Match), since nobody else writes empty files under our names. Anything else
 * may be another report's file: leave it, and say 'exists'.
 */
async function replaceEmptyLeftover(
  upload: Upload,
  existing: Stat | undefined,
  size: number,
): Promise<UploadOutcome> {
  if (existing?.type !== 'file' || existing.size !== 0 || size === 0 || existing.etag === undefined) {
    return 'exists';
  }
  const sent = await put(upload, { 'if-match': existing.etag }, [201, 204, 412]);
  if (sent.status === 412) return 'exists'; // replaced meanwhile by someone else: theirs now
  await verifyStoredSize(upload.dav, upload.segments, sent.size);
  return 'created';
}

/** One PUT, tried again after a pause while the path is locked (423). */
async function put(
  upload: Upload,
  condition: Record<string, string>,
  accept: readonly number[],
): Promise<{ status: number; size: number }> {
  return whileLocked(upload.dav, async () => putOnce(upload, condition, accept));
}

/**
 * Runs `request` again after a short pause while Nextcloud answers 423 Locked: another request
 * holds the path for a moment. A lock that outlasts LOCKED_TRIES is the job's to retry.
 */
async function whileLocked<T>(dav: Dav, request: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof NextcloudError && error.status === 423) || tries >= LOCKED_TRIES) throw error;
      await pause(dav.lockedPauseMs);
    }
  }
}

/** One PUT with an explicit Content-Length; a failing body stream surfaces as its own error. */
async function putOnce(
  upload: Upload,
  condition: Record<string, string>,
  accept: readonly number[],
): Promise<{ status: number; size: number }> {
  const opened = await openBody(upload.body, upload.size);
  let sourceError: Error | undefined;
  const stream = opened.payload instanceof Readable ? opened.payload : undefined;
  stream?.once('error', (error: Error) => {
    sourceError = error;
  });
  try {
    const answer = await exchange(upload.dav, 'PUT', upload.segments, {
      headers: {
        'content-type': upload.contentType,
        'content-length': String(opened.size),
        ...(upload.checksum === undefined ? {} : { 'oc-checksum': upload.checksum }),
        ...condition,
      },
      body: opened.payload,
      accept,
    });
    return { status: answer.status, size: opened.size };
  } catch (error) {
    // The source (e.g. a Telegram download) failed, not Nextcloud: its own error says so.
    if (sourceError !== undefined) throw sourceError;
    throw error;
  } finally {
    stream?.destroy();
  }
}

async function openBody(
  body: UploadBody,
  size: number | undefined,
): Promise<{ payload: Buffer | Readable; size: number }> {
  const opened = Buffer.isBuffer(body) ? { payload: body, size: body.length } : await openStream(body);
  if (size !== undefined && size !== opened.size) {
    if (opened.payload instanceof Readable) opened.payload.destroy();
    throw new RangeError(`upload size ${size} differs from the body's ${opened.size} bytes`);
  }
  return opened;
}

async function openStream(
  open: () => Promise<{ stream: Readable; size: number }>,
): Promise<{ payload: Readable; size: number }> {
  const { stream, size } = await open();
  if (!Number.isSafeInteger(size) || size < 0) {
    stream.destroy();
    throw new RangeError(`a streamed upload needs its size in bytes, got ${String(size)}`);
  }
  return { payload: stream, size };
}

/**
 * Nextcloud may accept a PUT and store fewer bytes (chunked bodies behind some front ends). A
 * wrong file is removed so that the next attempt's `If-None-Match: *` does not find it.
 */
async function verifyStoredSize(dav: Dav, segments: string[], expected: number): Promise<void> {
  const stored = await stat(dav, segments);
  if (stored?.type === 'file' && stored.size === expected) return;
  if (stored?.type === 'file' && stored.etag !== undefined) {
    await exchange(dav, 'DELETE', segments, {
      headers: { 'if-match': stored.etag },
      accept: [204, 404, 412],
    }).catch(
      () => undefined, // replaceEmptyLeftover repairs an empty leftover on the next attempt
    );
  }
  const found = stored === undefined ? 'nothing' : `${stored.type} of ${stored.size} bytes`;
  const mismatch = Object.assign(new Error(`sent ${expected} bytes, found ${found} stored`), {
    name: 'StoredSizeMismatch',
    code: 'STORED_SIZE_MISMATCH',
  });
  throw nextcloudTransportError('PUT', segments.join('/'), mismatch, dav.secrets);
}

interface Stat {
  readonly type: 'file' | 'directory';
  readonly size: number;
  /** As the server sent it, quotes included: ready for If-Match. */
  readonly etag: string | undefined;
  /** `oc:checksums`, e.g. ['SHA1:…', 'MD5:…']; empty when Nextcloud holds none. */
  readonly checksums: readonly string[];
}

async function stat(dav: Dav, segments: string[]): Promise<Stat | undefined> {
  const answer = await exchange(dav, 'PROPFIND', segments, {
    headers: { depth: '0', 'content-type': 'application/xml; charset=utf-8' },
    body: Buffer.from(STAT_BODY, 'utf8'),
    accept: [207, 404],
  });
  if (answer.status === 404) return undefined;
  const [response] = await multistatus(dav, 'PROPFIND', segments, answer.body);
  return response === undefined ? undefined : propertiesOf(response);
}

// ── Multistatus ──────────────────────────────────────────────────────────────────────────

async function multistatus(
  dav: Dav,
  method: string,
  segments: string[],
  body: string,
): Promise<DAVResultResponse[]> {
  try {
    return (await parseXML(body)).multistatus.response;
  } catch (error) {
    throw nextcloudTransportError(method, segments.join('/'), error, dav.secrets);
  }
}

/** Type, size and ETag from a response's successful propstat; undefined if it has none. */
function propertiesOf(response: DAVResultResponse): Stat | undefined {
  const propstat = response.propstat;
  const status: unknown = propstat?.status;
  if (propstat === undefined || typeof status !== 'string' || !status.includes(' 200 ')) return undefined;
  const props = propstat.prop as Partial<typeof propstat.prop> | undefined;
  const resourceType: unknown = props?.resourcetype;
  const isFolder = typeof resourceType === 'object' && resourceType !== null && 'collection' in resourceType;
  const length = Number(props?.getcontentlength ?? 0);
  const etag: unknown = props?.getetag;
  return {
    type: isFolder ? 'directory' : 'file',
    size: isFolder || !Number.isSafeInteger(length) ? 0 : length,
    etag: typeof etag === 'string' || typeof etag === 'number' ? quotedEtag(String(etag)) : undefined,
    checksums: checksumsOf((props as { checksums?: unknown } | undefined)?.checksums),
  };
}

/**
 * `<oc:checksums><oc:checksum>SHA1:… MD5:…</oc:checksum></oc:checksums>` as the XML parser
 * gives it; the algorithm names in upper case, the digests in lower case, for comparison.
 */
function checksumsOf(checksums: unknown): string[] {
  const inner: unknown =
    typeof checksums === 'object' && checksums !== null
      ? (checksums as { checksum?: unknown }).checksum
      : undefined;
  const texts = (Array.isArray(inner) ? inner : [inner]).filter((text) => typeof text === 'string');
  return texts.flatMap((text) =>
    text
      .split(/\s+/u)
      .filter((entry) => entry.includes(':'))
      .map((entry) => {
        const colon = entry.indexOf(':');
        return `${entry.slice(0, colon).toUpperCase()}:${entry.slice(colon + 1).toLowerCase()}`;
      }),
  );
}

function quotedEtag(etag: string): string {
  return /^(W\/)?".*"$/u.test(etag) ? etag : `"${etag}"`;
}

/** The path of an href, which servers may send absolute (`http://host/remote.php/…`). */
function hrefPath(href: unknown): string {
  const text = String(href);
  return text.startsWith('/') ? text : new URL(text, 'http://host.invalid').pathname;
}

/** Percent-decoded, NFC, without a trailing slash; segments that do not decode stay as sent. */
function decodedPath(path: string): string {
  return path
    .replace(/\/+$/u, '')
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment).normalize('NFC');
      } catch {
        return segment;
      }
    })
    .join('/');
}

// ── HTTP ─────────────────────────────────────────────────────────────────────────────────

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One WebDAV request. A status outside `accept` becomes a NextcloudError, a failed exchange a
 * NextcloudTransportError; both name the method and the relative path, never the URL.
 */
async function exchange(
  dav: Dav,
  method: 'GET' | 'PROPFIND' | 'MKCOL' | 'PUT' | 'DELETE',
  segments: readonly string[],
  init: { headers?: Record<string, string>; body?: Buffer | Readable; accept: readonly number[] },
): Promise<Answer> {
  const path = segments.join('/');
  // Bounds the whole exchange, body included: a slow upload that keeps trickling never stalls
  // long enough for the idle timeouts, yet must end well before the job's lock would.
  const deadline = startDeadline(dav.deadlineMs);
  try {
    const response = await request(urlOf(dav, segments), {
      method,
      headers: { authorization: dav.authorization, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: deadline.signal,
      dispatcher: dav.dispatcher,
      // Also per request, so that a shared dispatcher without timeouts cannot hang us for minutes.
      headersTimeout: dav.timeoutMs,
      bodyTimeout: dav.timeoutMs,
    });
    if (!init.accept.includes(response.statusCode)) {
      throw refusal(
        dav,
        method,
        path,
        response.statusCode,
        response.headers,
        await readBoundedText(response.body, MAX_ERROR_BODY_BYTES),
      );
    }
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  } catch (error) {
    if (error instanceof NextcloudError) throw error;
    throw nextcloudTransportError(method, path, error, dav.secrets);
  } finally {
    deadline.clear();
  }
}

/**
 * GET of a text file, its bytes decoded by decodeText rather than undici's `body.text()`, which
 * turns bytes that are not UTF-8 into U+FFFD without a word (a note saved as windows-1252 would
 * lose its accents). Bounded and classified as `exchange` does.
 */
async function readText(dav: Dav, segments: readonly string[]): Promise<DecodedText> {
  const path = segments.join('/');
  const deadline = startDeadline(dav.deadlineMs);
  try {
    const response = await request(urlOf(dav, segments), {
      method: 'GET',
      headers: { authorization: dav.authorization },
      signal: deadline.signal,
      dispatcher: dav.dispatcher,
      headersTimeout: dav.timeoutMs,
      bodyTimeout: dav.timeoutMs,
    });
    if (response.statusCode !== 200) {
      const body = await readBoundedText(response.body, MAX_ERROR_BODY_BYTES);
      throw refusal(dav, 'GET', path, response.statusCode, response.headers, body);
    }
    return decodeText(new Uint8Array(await response.body.arrayBuffer()));
  } catch (error) {
    if (error instanceof NextcloudError) throw error;
    throw nextcloudTransportError('GET', path, error, dav.secrets);
  } finally {
    deadline.clear();
  }
}

function refusal(
  dav: Dav,
  method: string,
  path: string,
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
): NextcloudError {
  const serverDate = Date.parse(String(headers.date));
  const retryAfter = retryAfterSeconds(
    headers['retry-after'],
    Number.isNaN(serverDate) ? Date.now() : serverDate,
  );
  return new NextcloudError({ method, path, status, retryAfter, ...parseErrorBody(body, dav.secrets) });
}
