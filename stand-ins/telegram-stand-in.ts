import { type LoopbackServer, listenOnLoopback } from './loopback.ts';
import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { File, Message, PhotoSize, ResponseParameters } from '@grammyjs/types';

/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api and
 * https://github.com/tdlib/telegram-bot-api):
 * `POST|GET /bot<token>/<method>` with JSON, urlencoded or multipart parameters, answered with
 * `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`, and file
 * downloads at `/file/bot<token>/<file_path>`. It records every call and can be told to fail
 * the next calls of a method the ways Telegram does. No test framework in here: the sandbox
 * runs it too.
 */

/** A well-formed but fake token; never a real one. */
export const STAND_IN_TOKEN = '123456:TEST-fake-token-not-real';

/** The pseudo-method under which file downloads are recorded and scripted. */
export const DOWNLOAD_METHOD = 'downloadFile';

export interface RecordedCall {
  readonly method: string;
  readonly token: string;
  readonly params: Record<string, unknown>;
  /** ms since the epoch, from the stand-in's clock. */
  readonly at: number;
}

/** How the stand-in answers a scripted call instead of doing it. */
export type ScriptedFailure =
  /** 429 `Too Many Requests: retry after N`, with `parameters.retry_after` and `Retry-After`. */
  | { readonly kind: 'tooManyRequests'; readonly retryAfter: number }
  /** 500 with Telegram's JSON; 502-504 with an HTML page, as the proxy in front of Telegram does. */
  | { readonly kind: 'serverError'; readonly status?: number }
  /** 403 `Forbidden: bot was blocked by the user`. */
  | { readonly kind: 'blocked' }
  /** 403 `Forbidden: user is deactivated`. */
  | { readonly kind: 'userDeactivated' }
  /** 400 `Bad Request: chat not found`. */
  | { readonly kind: 'chatNotFound' }
  /** 400 `Bad Request: group chat was upgraded to a supergroup chat` + `migrate_to_chat_id`. */
  | { readonly kind: 'migrated'; readonly toChatId: number }
  /** Never answers, until `close()`. */
  | { readonly kind: 'hang' }
  /** Drops the connection: before any answer for a method, halfway through the body for a download. */
  | { readonly kind: 'disconnect' }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly description: string;
      readonly parameters?: ResponseParameters;
      /** Extra response headers, e.g. a `Retry-After` without `parameters`. */
      readonly headers?: Record<string, string>;
    };

export interface TelegramStandInOptions {
  /** Tokens of the bots served. Default: `[STAND_IN_TOKEN]`. */
  readonly tokens?: readonly string[];
  /** The clock for `at` and message dates. Default: `Date.now`. */
  readonly now?: () => number;
  /** getFile refuses bigger files with `file is too big`. Default: 20 MB, the cloud API's limit. */
  readonly maxDownloadBytes?: number;
}

export interface AddFileOptions {
  readonly mimeType?: string;
  /** Choose the ids, e.g. to match those of a hand-built Update. */
  readonly fileId?: string;
  readonly fileUniqueId?: string;
  /**
   * How Telegram got the file: a photo's file_id is refused by sendDocument, and a document's
   * (a picture sent "as a file") by sendPhoto and in a photo album, with 400 "type of file
   * mismatch". Default 'photo'.
   */
  readonly kind?: 'photo' | 'document';
}

interface StoredFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly filePath: string;
  readonly bytes: Buffer;
  readonly mimeType: string | undefined;
  readonly kind: 'photo' | 'document';
}

interface SentMessage {
  readonly message: Message;
  /** JSON of the inline keyboard currently shown, '' for none. */
  markup: string;
}

type Params = Record<string, unknown>;

interface TargetedFailure {
  readonly method: string;
  readonly match: (params: Params) => boolean;
  readonly failure: ScriptedFailure;
  remaining: number;
}
interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Send only this many bytes of the body, then drop the connection. */
  readonly truncateAt?: number;
}

type Outcome = Reply | 'hang' | 'disconnect';

class BadRequest extends Error {}

const CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024;
const MAX_REQUEST_BYTES = 50 * 1024 * 1024;
const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const QUERY_ID_INVALID = 'Bad Request: query is too old and response timeout expired or query ID is invalid';
const WRONG_FILE = 'Bad Request: wrong file identifier/HTTP URL specified';
const TYPE_MISMATCH = 'Bad Request: type of file mismatch';
/** BAS rejects these before looking the token up (ClientManager.cpp). */
const TOKEN_SHAPE = /^[1-9]\d*:[^/]+$/u;

export class TelegramStandIn {
  /** Bot API root to give the client, e.g. `http://127.0.0.1:41234`. */
  readonly apiUrl: string;
  readonly calls: RecordedCall[] = [];

  private readonly loopback: LoopbackServer;
  private readonly tokens: Set<string>;
  private readonly now: () => number;
  private readonly maxDownloadBytes: number;
  private readonly events = new EventEmitter();
  /** Per method, what the next calls get: a failure, or undefined to let one through. */
  private readonly scripts = new Map<string, (ScriptedFailure | undefined)[]>();
  /** Failures for the calls whose parameters match, checked before the per-method scripts. */
  private readonly targeted: TargetedFailure[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private readonly messages = new Map<string, SentMessage>();
  private readonly answeredQueries = new Set<string>();
  private readonly hung = new Set<ServerResponse>();
  private nextMessageId = 1;
  private nextFileNumber = 1;
  private nextMediaGroup = 1;

  private constructor(server: Server, loopback: LoopbackServer, options: TelegramStandInOptions) {
    this.loopback = loopback;
    this.tokens = new Set(options.tokens ?? [STAND_IN_TOKEN]);
    this.now = options.now ?? Date.now;
    this.maxDownloadBytes = options.maxDownloadBytes ?? CLOUD_DOWNLOAD_LIMIT;
    this.apiUrl = loopback.url;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => {
        // A stand-in bug must show up in the test, not hang it.
        const reply = failure(500, `Internal Server Error: stand-in bug: ${String(error)}`);
        if (!response.headersSent) response.writeHead(reply.status, reply.headers);
        response.end(reply.body);
      });
    });
  }

  /** Starts a stand-in on 127.0.0.1, on a free port. */
  static async start(options: TelegramStandInOptions = {}): Promise<TelegramStandIn> {
    const server = createServer();
    return new TelegramStandIn(server, await listenOnLoopback(server), options);
  }

  /** Calls to one method, oldest first (method names as Telegram's docs spell them). */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The messages a chat holds, oldest first: what the bot sent there and Telegram took. */
  messagesIn(chatId: number): Message[] {
    return [...this.messages.values()]
      .map((sent) => sent.message)
      .filter((message) => message.chat.id === chatId);
  }

  /** Resolves with the next call to `method` that arrives after this call. */
  async nextCall(method: string): Promise<RecordedCall> {
    return new Promise((resolve) => {
      const listener = (call: RecordedCall): void => {
        if (call.method !== method) return;
        this.events.off('call', listener);
        resolve(call);
      };
      this.events.on('call', listener);
    });
  }

  /** Resolves once `count` calls to `method` were received (at once if they already were). */
  async waitForCalls(method: string, count: number): Promise<RecordedCall[]> {
    while (this.callsTo(method).length < count) await this.nextCall(method);
    return this.callsTo(method);
  }

  /**
   * Answers the next `times` calls to `method` with `failure` (in order, after earlier scripts),
   * after letting `after` calls through normally (a failure in the middle of a sequence).
   */
  failNext(method: string, failure: ScriptedFailure, times = 1, after = 0): void {
    const queue = this.scripts.get(method) ?? [];
    for (let i = 0; i < after; i += 1) queue.push(undefined);
    for (let i = 0; i < times; i += 1) queue.push(failure);
    this.scripts.set(method, queue);
  }

  /**
   * Answers the next `times` calls to `method` whose parameters `match` with `failure`, whatever
   * comes in between: one message failing while others to the same bot go through (e.g. a chat
   * under its own flood limit, or one text Telegram refuses).
   */
  failMatching(
    method: string,
    match: (params: Record<string, unknown>) => boolean,
    failure: ScriptedFailure,
    times = 1,
  ): void {
    this.targeted.push({ method, match, failure, remaining: times });
  }

  /** Registers a file Telegram "has": getFile and sendPhoto accept its file_id, downloads serve it. */
  addFile(bytes: Uint8Array, options: AddFileOptions = {}): { file_id: string; file_unique_id: string } {
    const number = this.nextFileNumber++;
    const file: StoredFile = {
      fileId: options.fileId ?? `standin-file-${number}`,
      fileUniqueId: options.fileUniqueId ?? `standin-unique-${number}`,
      filePath: filePathFor(number, options.mimeType),
      bytes: Buffer.from(bytes),
      mimeType: options.mimeType,
      kind: options.kind ?? 'photo',
    };
    this.files.set(file.fileId, file);
    this.filesByPath.set(file.filePath, file);
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId };
  }

  /** Stops listening and ends every connection, hung requests included. */
  async close(): Promise<void> {
    for (const response of this.hung) response.destroy();
    this.hung.clear();
    await this.loopback.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const outcome = await this.reply(request);
    if (outcome === 'hang') {
      this.hung.add(response);
      response.on('close', () => this.hung.delete(response));
      return;
    }
    if (outcome === 'disconnect') {
      response.destroy();
      return;
    }
    response.writeHead(outcome.status, { 'content-length': outcome.body.length, ...outcome.headers });
    if (outcome.truncateAt === undefined) {
      response.end(outcome.body);
      return;
    }
    response.write(outcome.body.subarray(0, outcome.truncateAt), () => {
      response.destroy();
    });
  }

  private async reply(request: IncomingMessage): Promise<Outcome> {
    const url = new URL(request.url ?? '/', this.apiUrl);
    const download = /^\/file\/bot([^/]*)\/(.+)$/u.exec(url.pathname);
    if (download) {
      const filePath = decodeURIComponent(download[2]!);
      const call = this.record(DOWNLOAD_METHOD, decodeURIComponent(download[1]!), { file_path: filePath });
      const outcome = this.answer(call, () => this.download(filePath));
      if (outcome !== 'disconnect') return outcome;
      const whole = this.download(filePath);
      return whole.status === 200 ? { ...whole, truncateAt: Math.floor(whole.body.length / 2) } : outcome;
    }
    const method = /^\/bot([^/]*)\/([^/]+)$/u.exec(url.pathname);
    if (!method) return failure(404, 'Not Found');
    let params: Params;
    try {
      params = { ...queryParams(url), ...(await bodyParams(request)) };
    } catch (error) {
      return failure(400, error instanceof BadRequest ? error.message : 'Bad Request: invalid request body');
    }
    const call = this.record(
      canonicalMethod(decodeURIComponent(method[2]!)),
      decodeURIComponent(method[1]!),
      params,
    );
    return this.answer(call, () => this.perform(call.method, params));
  }

  private record(method: string, token: string, params: Params): RecordedCall {
    const call: RecordedCall = { method, token, params, at: this.now() };
    this.calls.push(call);
    this.events.emit('call', call);
    return call;
  }

  /** Token check first (as BAS does), then a scripted failure, then the real work. */
  private answer(call: RecordedCall, perform: () => Reply): Outcome {
    if (!TOKEN_SHAPE.test(call.token)) return failure(401, 'Unauthorized: invalid token specified');
    if (!this.tokens.has(call.token)) return failure(401, 'Unauthorized');
    const targeted = this.targeted.find(
      (t) => t.remaining > 0 && t.method === call.method && t.match(call.params),
    );
    if (targeted) {
      targeted.remaining -= 1;
      return scriptedReply(targeted.failure);
    }
    const scripted = this.scripts.get(call.method)?.shift();
    if (scripted) return scriptedReply(scripted);
    try {
      return perform();
    } catch (error) {
      if (error instanceof BadRequest) return failure(400, error.message);
      throw error;
    }
  }

  private download(filePath: string): Reply {
    const file = this.filesByPath.get(filePath);
    if (!file) return failure(404, 'Not Found');
    return {
      status: 200,
      headers: { 'content-type': file.mimeType ?? 'application/octet-stream' },
      body: file.bytes,
    };
  }

  private perform(method: string, params: Params): Reply {
    switch (method) {
      case 'getMe':
        return success({ ...BOT_USER, can_join_groups: true, supports_inline_queries: false });
      case 'sendMessage':
        return success(this.sendMessage(params));
      case 'sendPhoto':
        return success(this.sendPhoto(params));
      case 'sendMediaGroup':
        return success(this.sendMediaGroup(params));
      case 'sendDocument':
        return success(this.sendDocument(params));
      case 'answerCallbackQuery':
        return this.answerCallbackQuery(params);
      case 'editMessageReplyMarkup':
        return this.editMessageReplyMarkup(params);
      case 'getFile':
        return success(this.getFile(params));
      case 'setMyCommands':
        validateCommands(params.commands);
        return success(true);
      default:
        return failure(404, 'Not Found: method not found');
    }
  }

  private sendMessage(params: Params): Message {
    const chatId = requireChatId(params);
    const text = typeof params.text === 'string' ? params.text : '';
    if (text.trim().length === 0) throw new BadRequest('Bad Request: message text is empty');
    if (text.length > 4096) throw new BadRequest('Bad Request: message is too long');
    return this.storeMessage(chatId, { text }, params.reply_markup);
  }

  private sendPhoto(params: Params): Message {
    const chatId = requireChatId(params);
    if (params.photo === undefined) throw new BadRequest('Bad Request: parameter "photo" is required');
    const caption = optionalCaption(params.caption);
    const photo = this.photoSizes(params.photo);
    return this.storeMessage(chatId, { photo, ...(caption && { caption }) }, params.reply_markup);
  }

  private sendDocument(params: Params): Message {
    const chatId = requireChatId(params);
    if (params.document === undefined) throw new BadRequest('Bad Request: parameter "document" is required');
    const caption = optionalCaption(params.caption);
    const document = this.documentOf(params.document);
    return this.storeMessage(chatId, { document, ...(caption && { caption }) }, params.reply_markup);
  }

  private documentOf(id: unknown): Record<string, unknown> {
    const file = this.knownFile(id);
    if (file.kind !== 'document') throw new BadRequest(TYPE_MISMATCH);
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.bytes.length };
  }

  private sendMediaGroup(params: Params): Message[] {
    const chatId = requireChatId(params);
    const media = params.media;
    if (media === undefined) throw new BadRequest('Bad Request: parameter "media" is required');
    if (!Array.isArray(media) || media.length === 0) {
      throw new BadRequest('Bad Request: there are no messages to send');
    }
    if (media.length > 10) throw new BadRequest('Bad Request: too many messages to send as an album');
    // The docs say 2-10 items; the wording of this refusal is the stand-in's own.
    if (media.length < 2) throw new BadRequest('Bad Request: an album needs at least 2 media');
    const mediaGroupId = String(13_000_000_000_000_000 + this.nextMediaGroup++);
    const contents = media.map((item: unknown) => this.albumItem(item));
    return contents.map((content) => this.storeMessage(chatId, { ...content, media_group_id: mediaGroupId }));
  }

  private albumItem(item: unknown): Record<string, unknown> {
    if (typeof item !== 'object' || item === null)
      throw new BadRequest("Bad Request: can't parse InputMedia");
    const { type, media, caption } = item as Params;
    const text = optionalCaption(caption);
    const withCaption = text ? { caption: text } : {};
    if (type === 'photo') return { photo: this.photoSizes(media), ...withCaption };
    if (type === 'document') return { document: this.documentOf(media), ...withCaption };
    throw new BadRequest(`Bad Request: can't parse InputMedia: type "${String(type)}" is not supported here`);
  }

  private answerCallbackQuery(params: Params): Reply {
    const id = params.callback_query_id;
    if (typeof id !== 'string' || id.length === 0) {
      throw new BadRequest('Bad Request: parameter "callback_query_id" is required');
    }
    // Telegram accepts one answer per query; a second one gets QUERY_ID_INVALID.
    if (this.answeredQueries.has(id)) return failure(400, QUERY_ID_INVALID);
    this.answeredQueries.add(id);
    return success(true);
  }

  private editMessageReplyMarkup(params: Params): Reply {
    if (typeof params.inline_message_id === 'string') return success(true);
    const chatId = requireChatId(params);
    const sent = this.messages.get(messageKey(chatId, Number(params.message_id)));
    if (!sent) return failure(400, 'Bad Request: message to edit not found');
    const markup = markupJson(params.reply_markup);
    if (markup === sent.markup) return failure(400, NOT_MODIFIED);
    sent.markup = markup;
    const message: Record<string, unknown> = { ...sent.message, edit_date: Math.floor(this.now() / 1000) };
    delete message.reply_markup;
    return success({ ...message, ...(markup && { reply_markup: JSON.parse(markup) as unknown }) });
  }

  private getFile(params: Params): File {
    const fileId = params.file_id;
    if (typeof fileId !== 'string' || fileId.length === 0) {
      throw new BadRequest('Bad Request: parameter "file_id" is required');
    }
    const file = this.files.get(fileId);
    if (!file) throw new BadRequest('Bad Request: wrong file_id or the file is temporarily unavailable');
    if (file.bytes.length > this.maxDownloadBytes) throw new BadRequest('Bad Request: file is too big');
    return {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      file_size: file.bytes.length,
      file_path: file.filePath,
    };
  }

  /** A file_id Telegram has, or an HTTP URL (not fetched: the stand-in makes a file of it). */
  private photoSizes(photo: unknown): PhotoSize[] {
    const file =
      typeof photo === 'string' && /^https?:\/\//u.test(photo) ? this.fileFromUrl() : this.knownFile(photo);
    if (file.kind !== 'photo') throw new BadRequest(TYPE_MISMATCH);
    return [
      {
        file_id: file.fileId,
        file_unique_id: file.fileUniqueId,
        width: 1280,
        height: 960,
        file_size: file.bytes.length,
      },
    ];
  }

  private knownFile(id: unknown): StoredFile {
    const file = typeof id === 'string' ? this.files.get(id) : undefined;
    if (!file) throw new BadRequest(WRONG_FILE);
    return file;
  }

  private fileFromUrl(): StoredFile {
    const { file_id } = this.addFile(new Uint8Array(), { mimeType: 'image/jpeg' });
    return this.files.get(file_id)!;
  }

  private storeMessage(chatId: number, content: Record<string, unknown>, replyMarkup?: unknown): Message {
    const markup = markupJson(replyMarkup);
    const message = {
      message_id: this.nextMessageId++,
      from: BOT_USER,
      chat: chatFor(chatId),
      date: Math.floor(this.now() / 1000),
      ...content,
      ...(markup && { reply_markup: JSON.parse(markup) as unknown }),
    } as Message;
    this.messages.set(messageKey(chatId, message.message_id), { message, markup });
    return message;
  }
}

const BOT_USER = {
  id: 123456,
  is_bot: true,
  first_name: 'ETM Terrain (stand-in)',
  username: 'etm_terrain_standin_bot',
};

/** BAS lower-cases method names: `sendmessage` is `sendMessage`. */
const KNOWN_METHODS = [
  'getMe',
  'sendMessage',
  'sendPhoto',
  'sendMediaGroup',
  'sendDocument',
  'answerCallbackQuery',
  'editMessageReplyMarkup',
  'getFile',
  'setMyCommands',
];
function canonicalMethod(name: string): string {
  return KNOWN_METHODS.find((known) => known.toLowerCase() === name.toLowerCase()) ?? name;
}

/** Form fields holding JSON-serialised objects (the Bot API docs' "JSON-serialized"). */
const JSON_FIELDS = new Set([
  'reply_markup',
  'media',
  'commands',
  'scope',
  'entities',
  'caption_entities',
  'reply_parameters',
  'link_preview_options',
]);

function queryParams(url: URL): Params {
  return formFields(url.searchParams.entries());
}

async function bodyParams(request: IncomingMessage): Promise<Params> {
  const body = await readBody(request);
  if (body.length === 0) return {};
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('application/json')) {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadRequest('Bad Request: parameters must be a JSON object');
    }
    return value as Params;
  }
  if (
    contentType.startsWith('application/x-www-form-urlencoded') ||
    contentType.startsWith('multipart/form-data')
  ) {
    // Fine for a test server: the deprecation is about untrusted multipart bodies in production.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const textFields = [...form.entries()].filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    return formFields(textFields);
  }
  return {};
}

function formFields(entries: Iterable<[string, string]>): Params {
  const params: Params = {};
  for (const [key, value] of entries) {
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value) as unknown;
      } catch {
        throw new BadRequest(`Bad Request: can't parse ${key} JSON object`);
      }
    } else {
      params[key] = value;
    }
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) throw new BadRequest('Request Entity Too Large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function requireChatId(params: Params): number {
  const raw = params.chat_id;
  const chatId = typeof raw === 'string' && /^-?\d+$/u.test(raw) ? Number(raw) : raw;
  if (raw === undefined || raw === '') throw new BadRequest('Bad Request: chat_id is empty');
  if (typeof chatId !== 'number' || !Number.isSafeInteger(chatId) || chatId === 0) {
    throw new BadRequest('Bad Request: chat not found');
  }
  return chatId;
}

function optionalCaption(caption: unknown): string | undefined {
  if (caption === undefined || caption === '') return undefined;
  if (typeof caption !== 'string') throw new BadRequest("Bad Request: can't parse caption");
  if (caption.length > 1024) throw new BadRequest('Bad Request: message caption is too long');
  return caption;
}

/** '' for no keyboard (absent or empty); callback_data is checked as Telegram does (1-64 bytes). */
function markupJson(markup: unknown): string {
  if (markup === undefined || markup === null) return '';
  if (typeof markup !== 'object') throw new BadRequest('Bad Request: object expected as reply markup');
  const keyboard = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (keyboard === undefined) return JSON.stringify(markup);
  if (!Array.isArray(keyboard)) throw new BadRequest('Bad Request: inline keyboard expected');
  for (const row of keyboard as unknown[]) {
    if (!Array.isArray(row)) throw new BadRequest('Bad Request: inline keyboard expected');
    for (const button of row as unknown[]) {
      const data = (button as { callback_data?: unknown }).callback_data;
      if (typeof data === 'string' && (data.length === 0 || Buffer.byteLength(data) > 64)) {
        throw new BadRequest('Bad Request: BUTTON_DATA_INVALID');
      }
    }
  }
  return keyboard.length === 0 ? '' : JSON.stringify(markup);
}

function validateCommands(commands: unknown): void {
  if (!Array.isArray(commands)) throw new BadRequest('Bad Request: parameter "commands" is required');
  if (commands.length > 100) throw new BadRequest('Bad Request: too many commands');
  for (const item of commands as unknown[]) {
    const { command, description } = (item ?? {}) as { command?: unknown; description?: unknown };
    if (typeof command !== 'string' || !/^[a-z0-9_]{1,32}$/u.test(command)) {
      throw new BadRequest('Bad Request: BOT_COMMAND_INVALID');
    }
    if (typeof description !== 'string' || description.length === 0 || description.length > 256) {
      throw new BadRequest('Bad Request: command description is empty or too long');
    }
  }
}

function messageKey(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/** Supergroup ids are -100…, basic groups other negatives, private chats positive. */
function chatFor(chatId: number): Message['chat'] {
  if (chatId > 0) return { id: chatId, type: 'private', first_name: 'Technicien' };
  if (chatId <= -1_000_000_000_000) return { id: chatId, type: 'supergroup', title: 'Groupe (stand-in)' };
  return { id: chatId, type: 'group', title: 'Groupe (stand-in)' };
}

/** Telegram's own layout: `photos/file_N.jpg`, `documents/file_N.pdf`, `voice/file_N.oga`. */
function filePathFor(number: number, mimeType: string | undefined): string {
  if (mimeType === 'image/jpeg') return `photos/file_${number}.jpg`;
  if (mimeType === 'audio/ogg') return `voice/file_${number}.oga`;
  const extension = mimeType?.split('/')[1]?.replace(/[^a-z0-9]/gu, '') ?? 'bin';
  return `documents/file_${number}.${extension || 'bin'}`;
}

function success(result: unknown): Reply {
  return json(200, { ok: true, result });
}

function failure(status: number, description: string, parameters?: ResponseParameters): Reply {
  return json(status, { ok: false, error_code: status, description, ...(parameters && { parameters }) });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function scriptedReply(scripted: ScriptedFailure): Outcome {
  switch (scripted.kind) {
    case 'tooManyRequests': {
      const { retryAfter } = scripted;
      const reply = failure(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
      return { ...reply, headers: { ...reply.headers, 'retry-after': String(retryAfter) } };
    }
    case 'serverError': {
      const status = scripted.status ?? 500;
      return status === 500 ? failure(500, 'Internal Server Error') : proxyErrorPage(status);
    }
    case 'blocked':
      return failure(403, 'Forbidden: bot was blocked by the user');
    case 'userDeactivated':
      return failure(403, 'Forbidden: user is deactivated');
    case 'chatNotFound':
      return failure(400, 'Bad Request: chat not found');
    case 'migrated':
      return failure(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: scripted.toChatId,
      });
    case 'hang':
    case 'disconnect':
      return scripted.kind;
    case 'error': {
      const reply = failure(scripted.status, scripted.description, scripted.parameters);
      return { ...reply, headers: { ...reply.headers, ...scripted.headers } };
    }
  }
}

/** What nginx in front of Telegram answers when the Bot API behind it is down. */
function proxyErrorPage(status: number): Reply {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const html = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'content-type': 'text/html' }, body: Buffer.from(html) };
}
