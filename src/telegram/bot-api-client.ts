import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ApiMethods, Opts } from '@grammyjs/types';
import { Agent, type Dispatcher, request } from 'undici';
import { readBoundedText } from '../http/bounded-body.ts';
import { startDeadline } from '../http/deadline.ts';
import { redactSecrets } from '../http/redact.ts';
import { retryAfterSeconds } from '../http/retry-after.ts';
import { TelegramApiError, transportError } from './telegram-errors.ts';

/** We only ever send files Telegram already has (file_id) or URLs: no uploads, so no InputFile. */
type Methods = ApiMethods<never>;
type CalledMethod =
  | 'sendMessage'
  | 'sendPhoto'
  | 'sendMediaGroup'
  | 'sendDocument'
  | 'answerCallbackQuery'
  | 'editMessageReplyMarkup'
  | 'getFile'
  | 'setMyCommands';
export type BotApiParams<M extends CalledMethod> = Opts<never>[M];
export type BotApiResult<M extends CalledMethod> = ReturnType<Methods[M]>;

export interface DownloadedFile {
  readonly stream: Readable;
  /** From Content-Length; undefined when the server did not say. */
  readonly size: number | undefined;
}

export interface BotApiClient {
  sendMessage(params: BotApiParams<'sendMessage'>): Promise<BotApiResult<'sendMessage'>>;
  /** `photo` is a file_id Telegram already has, or an HTTP URL for Telegram to fetch. */
  sendPhoto(params: BotApiParams<'sendPhoto'>): Promise<BotApiResult<'sendPhoto'>>;
  sendMediaGroup(params: BotApiParams<'sendMediaGroup'>): Promise<BotApiResult<'sendMediaGroup'>>;
  /** `document` is a file_id Telegram already has as a document (a picture sent "as a file"). */
  sendDocument(params: BotApiParams<'sendDocument'>): Promise<BotApiResult<'sendDocument'>>;
  answerCallbackQuery(
    params: BotApiParams<'answerCallbackQuery'>,
  ): Promise<BotApiResult<'answerCallbackQuery'>>;
  editMessageReplyMarkup(
    params: BotApiParams<'editMessageReplyMarkup'>,
  ): Promise<BotApiResult<'editMessageReplyMarkup'>>;
  getFile(params: BotApiParams<'getFile'>): Promise<BotApiResult<'getFile'>>;
  setMyCommands(params: BotApiParams<'setMyCommands'>): Promise<BotApiResult<'setMyCommands'>>;
  /** Streams `<apiUrl>/file/bot<token>/<filePath>`; errors on the stream are TelegramTransportErrors. */
  downloadFile(filePath: string): Promise<DownloadedFile>;
  /** Closes the connection pool the client created (not a dispatcher passed in). */
  close(): Promise<void>;
}

export interface BotApiClientOptions {
  /** Bot API root, e.g. `https://api.telegram.org` (also the root of file downloads). */
  readonly apiUrl: string;
  readonly token: string;
  /** Longest wait for the response headers, and between two body chunks. Default 30 s. */
  readonly timeoutMs?: number;
  /** A shared undici dispatcher; by default the client owns an Agent with the timeouts above. */
  readonly dispatcher?: Dispatcher;
  /** Longest whole file download, body included. Default 2 min: under the job lock (5 min). */
  readonly downloadDeadlineMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_DOWNLOAD_DEADLINE_MS = 120_000;
/** Error bodies are small JSON; anything bigger is not Telegram talking. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** The shape BAS checks before even looking a token up (ClientManager.cpp). */
const TOKEN_FORMAT = /^\d+:[\w-]+$/u;

export function createBotApiClient(options: BotApiClientOptions): BotApiClient {
  if (!TOKEN_FORMAT.test(options.token)) {
    // Never echo the token, not even a malformed one: it may be a real one with a typo.
    throw new Error('the bot token is not of the form <bot id>:<secret>');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  const transport: Transport = {
    apiUrl: options.apiUrl.replace(/\/+$/u, ''),
    token: options.token,
    secrets: [options.token],
    dispatcher: options.dispatcher ?? ownAgent!,
    timeoutMs,
    downloadDeadlineMs: options.downloadDeadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS,
  };
  const call =
    <M extends CalledMethod>(method: M) =>
    async (params: BotApiParams<M>): Promise<BotApiResult<M>> =>
      callMethod(transport, method, params);

  return {
    sendMessage: call('sendMessage'),
    sendPhoto: call('sendPhoto'),
    sendMediaGroup: call('sendMediaGroup'),
    sendDocument: call('sendDocument'),
    answerCallbackQuery: call('answerCallbackQuery'),
    editMessageReplyMarkup: call('editMessageReplyMarkup'),
    getFile: call('getFile'),
    setMyCommands: call('setMyCommands'),
    downloadFile: async (filePath) => downloadFile(transport, filePath),
    close: async () => ownAgent?.close(),
  };
}

interface Transport {
  readonly apiUrl: string;
  readonly token: string;
  readonly secrets: readonly string[];
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly downloadDeadlineMs: number;
}

async function callMethod<M extends CalledMethod>(
  transport: Transport,
  method: M,
  params: BotApiParams<M>,
): Promise<BotApiResult<M>> {
  // The whole call, body included, is bounded: Telegram's answers are small.
  const deadline = startDeadline(transport.timeoutMs);
  try {
    const response = await send(transport, method, `${transport.apiUrl}/bot${transport.token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      signal: deadline.signal,
    });
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw transportError(method, error, transport.secrets);
    }
    return unwrap(method, response, text, transport) as BotApiResult<M>;
  } finally {
    deadline.clear();
  }
}

function unwrap(
  method: string,
  response: Dispatcher.ResponseData,
  text: string,
  transport: Transport,
): unknown {
  const envelope = parseEnvelope(text);
  if (envelope?.ok === true) return envelope.result;
  if (envelope?.ok === false) throw apiErrorFromEnvelope(method, envelope, response.headers, transport);
  if (response.statusCode >= 400) throw apiErrorFromStatus(method, response.statusCode, response.headers);
  throw transportError(method, new Error(`HTTP ${response.statusCode} without a Bot API JSON body`), []);
}

async function downloadFile(transport: Transport, filePath: string): Promise<DownloadedFile> {
  const method = 'downloadFile';
  const path = filePath.split('/').map(encodeURIComponent).join('/');
  // The headers come within the usual time-out; the whole download, body included, within its
  // own deadline: a slow trickle that never stalls long enough for undici's bodyTimeout must
  // still end well before the job's lock would.
  const headers = startDeadline(transport.timeoutMs);
  const whole = startDeadline(transport.downloadDeadlineMs);
  let response: Dispatcher.ResponseData;
  try {
    response = await send(transport, method, `${transport.apiUrl}/file/bot${transport.token}/${path}`, {
      method: 'GET',
      signal: AbortSignal.any([headers.signal, whole.signal]),
    });
  } catch (error) {
    whole.clear();
    throw error;
  } finally {
    headers.clear();
  }
  response.body.once('close', whole.clear);
  if (response.statusCode < 200 || response.statusCode >= 300) {
    const envelope = parseEnvelope(await readBoundedText(response.body, MAX_ERROR_BODY_BYTES));
    if (envelope?.ok === false) throw apiErrorFromEnvelope(method, envelope, response.headers, transport);
    throw apiErrorFromStatus(method, response.statusCode, response.headers);
  }
  const length = Number(response.headers['content-length']);
  return {
    stream: guardedStream(response.body, transport.secrets),
    size: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
  };
}

async function send(
  transport: Transport,
  method: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<Dispatcher.ResponseData> {
  try {
    return await request(url, {
      ...init,
      dispatcher: transport.dispatcher,
      // Also per request, so that a shared dispatcher without timeouts cannot hang us for 300 s.
      headersTimeout: transport.timeoutMs,
      bodyTimeout: transport.timeoutMs,
    });
  } catch (error) {
    throw transportError(method, error, transport.secrets);
  }
}

interface Envelope {
  ok: boolean;
  result?: unknown;
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && typeof (value as Envelope).ok === 'boolean') {
      return value as Envelope;
    }
  } catch {
    // Not JSON: a proxy's HTML error page, for instance. The caller falls back to the status.
  }
  return undefined;
}

function apiErrorFromEnvelope(
  method: string,
  envelope: Envelope,
  headers: IncomingHttpHeaders,
  transport: Transport,
): TelegramApiError {
  const errorCode = typeof envelope.error_code === 'number' ? envelope.error_code : 0;
  const description = typeof envelope.description === 'string' ? envelope.description : 'no description';
  return new TelegramApiError({
    method,
    errorCode,
    description: redactSecrets(description, transport.secrets),
    retryAfter:
      nonNegativeInteger(envelope.parameters?.retry_after) ?? retryAfterSeconds(headers['retry-after']),
    migrateToChatId: safeInteger(envelope.parameters?.migrate_to_chat_id),
  });
}

function apiErrorFromStatus(method: string, status: number, headers: IncomingHttpHeaders): TelegramApiError {
  return new TelegramApiError({
    method,
    errorCode: status,
    description: `HTTP ${status} without a Bot API JSON body`,
    retryAfter: retryAfterSeconds(headers['retry-after']),
  });
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function safeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** Re-emits the body, turning undici's stream errors into redacted TelegramTransportErrors. */
function guardedStream(body: Readable, secrets: readonly string[]): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (error) {
      throw transportError('downloadFile', error, secrets);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
