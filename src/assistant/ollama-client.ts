import { errorCode } from '../http/redact.ts';
import { retryAfterSeconds } from '../http/retry-after.ts';
import { Agent, type Dispatcher, request } from 'undici';
import { ndjsonValues } from './ndjson.ts';
import {
  OllamaApiError,
  type OllamaEndpoint,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from './ollama-errors.ts';

/**
 * A small typed client for the three Ollama endpoints the assistant needs, over undici's
 * `request` with our own Agent. Not the `ollama` package: its
 * non-streamed calls cannot be aborted, `abort()` kills every stream of a client, and Node's
 * fetch gives up after 300 s without headers while a cold model may still be loading.
 * Every call has explicit deadlines, each a plain timer (undici checks its own on a ~1 s clock).
 */

export interface OllamaTimeouts {
  /** TCP connect. */
  readonly connectMs: number;
  /** Until the response headers: covers loading a cold model and reading the prompt. */
  readonly firstByteMs: number;
  /** Longest silence between two chunks of a streamed answer. */
  readonly idleMs: number;
  /** The whole call; keep it under the job lock (5 min) so a slow call never runs twice. */
  readonly totalMs: number;
}

export const DEFAULT_OLLAMA_TIMEOUTS: OllamaTimeouts = {
  connectMs: 5_000,
  firstByteMs: 120_000,
  idleMs: 60_000,
  totalMs: 240_000,
};

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** Modelfile parameters: `temperature`, `num_ctx`, `num_predict`, `seed`… */
  readonly options: Readonly<Record<string, number>>;
  readonly keepAlive?: string | number;
  /** Stop reading (and abort) past this many characters: a guard on top of `num_predict`. */
  readonly maxChars?: number;
}

export interface ChatResult {
  readonly content: string;
  /** `stop` normally; `length` when `num_predict` cut the answer. */
  readonly doneReason: string;
  readonly promptEvalCount: number | undefined;
  readonly evalCount: number | undefined;
  readonly loadDurationMs: number | undefined;
  readonly totalDurationMs: number | undefined;
}

export interface CallOptions {
  readonly timeouts?: Partial<OllamaTimeouts>;
}

export interface OllamaClient {
  /** `GET /api/version`: cheap, loads no model. */
  version(options?: CallOptions): Promise<string>;
  /** `GET /api/tags`: names of the pulled models (`mistral:latest`). */
  tags(options?: CallOptions): Promise<string[]>;
  /** `POST /api/embed`: one L2-normalised vector per input, in order. */
  embed(model: string, input: readonly string[], options?: CallOptions): Promise<number[][]>;
  /** `POST /api/chat`, always streamed (NDJSON), so that idle and total deadlines can apply. */
  chat(chatRequest: ChatRequest, options?: CallOptions): Promise<ChatResult>;
  /** Closes the connection pool the client created (not a dispatcher passed in). */
  close(): Promise<void>;
}

export interface OllamaClientOptions {
  /** Ollama root, e.g. `http://127.0.0.1:11434`. */
  readonly url: string;
  readonly timeouts?: Partial<OllamaTimeouts>;
  readonly dispatcher?: Dispatcher;
}

/** Error bodies are a small JSON object; anything bigger is not Ollama talking. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** 64 inputs × 4096 dimensions as JSON stays far below this. */
const MAX_JSON_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_CHAT_CHARS = 32_000;

export function createOllamaClient(options: OllamaClientOptions): OllamaClient {
  const timeouts = { ...DEFAULT_OLLAMA_TIMEOUTS, ...options.timeouts };
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({
        connectTimeout: timeouts.connectMs,
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
      });
  const transport: Transport = {
    baseUrl: options.url.replace(/\/+$/u, ''),
    dispatcher: options.dispatcher ?? ownAgent!,
    timeouts,
  };
  return {
    version: async (call) => {
      const body = await getJson(transport, '/api/version', call);
      const version = (body as { version?: unknown }).version;
      if (typeof version !== 'string') throw new OllamaProtocolError('/api/version', 'no version string');
      return version;
    },
    tags: async (call) => {
      const body = await getJson(transport, '/api/tags', call);
      const models = (body as { models?: unknown }).models;
      if (!Array.isArray(models)) throw new OllamaProtocolError('/api/tags', 'no models array');
      return models.flatMap((model: { name?: unknown; model?: unknown }) =>
        [model.name, model.model].filter((name): name is string => typeof name === 'string'),
      );
    },
    embed: async (model, input, call) => embed(transport, model, input, call),
    chat: async (chatRequest, call) => chat(transport, chatRequest, call),
    close: async () => ownAgent?.close(),
  };
}

interface Transport {
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly timeouts: OllamaTimeouts;
}

async function getJson(transport: Transport, endpoint: OllamaEndpoint, call?: CallOptions): Promise<object> {
  return withResponse(transport, endpoint, { method: 'GET' }, call, async (response, watchdog) => {
    await throwIfRefused(endpoint, response, undefined);
    return parseObject(endpoint, await readText(response.body, MAX_JSON_BODY_BYTES, watchdog));
  });
}

async function embed(
  transport: Transport,
  model: string,
  input: readonly string[],
  call?: CallOptions,
): Promise<number[][]> {
  const endpoint = '/api/embed';
  if (input.length === 0) return [];
  const body = JSON.stringify({ model, input });
  return withResponse(transport, endpoint, { method: 'POST', body }, call, async (response, watchdog) => {
    await throwIfRefused(endpoint, response, model);
    const parsed = parseObject(endpoint, await readText(response.body, MAX_JSON_BODY_BYTES, watchdog));
    return vectorsOf(parsed, input.length);
  });
}

async function chat(transport: Transport, chatRequest: ChatRequest, call?: CallOptions): Promise<ChatResult> {
  const endpoint = '/api/chat';
  const body = JSON.stringify({
    model: chatRequest.model,
    messages: chatRequest.messages,
    stream: true,
    options: chatRequest.options,
    ...(chatRequest.keepAlive === undefined ? {} : { keep_alive: chatRequest.keepAlive }),
  });
  const maxChars = chatRequest.maxChars ?? DEFAULT_MAX_CHAT_CHARS;
  return withResponse(transport, endpoint, { method: 'POST', body }, call, async (response, watchdog) => {
    await throwIfRefused(endpoint, response, chatRequest.model);
    let content = '';
    let values: AsyncGenerator;
    try {
      values = ndjsonValues(touching(response.body, watchdog));
      for await (const value of values) {
        const line = value as ChatLine;
        if (typeof line.error === 'string') throw new OllamaStreamError(endpoint, line.error, content.length);
        content += typeof line.message?.content === 'string' ? line.message.content : '';
        if (line.done === true) return chatResult(content, line);
        if (content.length > maxChars) return chatResult(content, { done_reason: 'length' });
      }
    } catch (error) {
      if (error instanceof SyntaxError) throw new OllamaProtocolError(endpoint, 'a stream line is not JSON');
      throw error;
    }
    throw new OllamaStreamError(endpoint, 'the stream ended without its done line', content.length);
  });
}

interface ChatLine {
  error?: unknown;
  done?: unknown;
  done_reason?: unknown;
  message?: { content?: unknown };
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  load_duration?: unknown;
  total_duration?: unknown;
}

function chatResult(content: string, line: ChatLine): ChatResult {
  const count = (value: unknown) => (typeof value === 'number' ? value : undefined);
  // Durations are nanoseconds (https://github.com/ollama/ollama/blob/main/docs/api.md#conventions).
  const ms = (value: unknown) => (typeof value === 'number' ? Math.round(value / 1e6) : undefined);
  return {
    content,
    doneReason: typeof line.done_reason === 'string' ? line.done_reason : 'stop',
    promptEvalCount: count(line.prompt_eval_count),
    evalCount: count(line.eval_count),
    loadDurationMs: ms(line.load_duration),
    totalDurationMs: ms(line.total_duration),
  };
}

function vectorsOf(body: object, expected: number): number[][] {
  const embeddings = (body as { embeddings?: unknown }).embeddings;
  if (!Array.isArray(embeddings) || embeddings.length !== expected) {
    throw new OllamaProtocolError('/api/embed', `expected ${expected} embeddings`);
  }
  return embeddings.map((vector: unknown) => {
    if (
      !Array.isArray(vector) ||
      vector.length === 0 ||
      !vector.every((x: unknown) => typeof x === 'number' && Number.isFinite(x))
    ) {
      throw new OllamaProtocolError('/api/embed', 'an embedding is not a list of numbers');
    }
    return vector as number[];
  });
}

/** Runs `use` on the response of one call, all of it under the call's deadlines. */
async function withResponse<T>(
  transport: Transport,
  endpoint: OllamaEndpoint,
  init: { method: 'GET' | 'POST'; body?: string },
  call: CallOptions | undefined,
  use: (response: Dispatcher.ResponseData, watchdog: Watchdog) => Promise<T>,
): Promise<T> {
  const timeouts = { ...transport.timeouts, ...call?.timeouts };
  const watchdog = new Watchdog(timeouts);
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${transport.baseUrl}${endpoint}`, {
        method: init.method,
        ...(init.body === undefined
          ? {}
          : { body: init.body, headers: { 'content-type': 'application/json' } }),
        dispatcher: transport.dispatcher,
        signal: watchdog.signal,
        // Also per request, so that a shared dispatcher cannot bring back undici's 300 s default.
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
      });
    } finally {
      watchdog.firstByteArrived();
    }
    return await use(response, watchdog);
  } catch (error) {
    throw asClassified(endpoint, error, watchdog);
  } finally {
    watchdog.clear();
  }
}

function asClassified(endpoint: OllamaEndpoint, error: unknown, watchdog: Watchdog): Error {
  if (watchdog.expired !== undefined) {
    return new OllamaTransportError(endpoint, watchdog.expired, 'ETIMEDOUT');
  }
  if (
    error instanceof OllamaApiError ||
    error instanceof OllamaStreamError ||
    error instanceof OllamaProtocolError ||
    error instanceof OllamaTransportError
  ) {
    return error;
  }
  const raw = error instanceof Error ? error : new Error(String(error));
  const code = errorCode(raw) ?? errorCode(raw.cause);
  // The cause is not kept: undici errors may hold the URL, and OLLAMA_URL may hold credentials.
  const message = raw.message.replace(/\bhttps?:\/\/\S*/giu, '[url]');
  return new OllamaTransportError(endpoint, `${raw.name}${code ? ` ${code}` : ''}: ${message}`, code);
}

async function throwIfRefused(
  endpoint: OllamaEndpoint,
  response: Dispatcher.ResponseData,
  model: string | undefined,
): Promise<void> {
  if (response.statusCode >= 200 && response.statusCode < 300) return;
  const text = await readText(response.body, MAX_ERROR_BODY_BYTES).catch(() => '');
  let description = `HTTP ${response.statusCode}`;
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') description = error;
  } catch {
    // A proxy's HTML page: the status says enough.
  }
  throw new OllamaApiError({
    endpoint,
    status: response.statusCode,
    description,
    model,
    retryAfterMs: secondsToMs(retryAfterSeconds(response.headers['retry-after'])),
  });
}

function parseObject(endpoint: OllamaEndpoint, text: string): object {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // Reported below.
  }
  throw new OllamaProtocolError(endpoint, 'the body is not a JSON object');
}

async function readText(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  watchdog?: Watchdog,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of watchdog ? touching(body, watchdog) : body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Passes chunks through, telling the watchdog each time: silence, not slowness, is a stall. */
async function* touching(body: AsyncIterable<Uint8Array>, watchdog: Watchdog): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    watchdog.touch();
    yield chunk;
  }
}

/** The deadlines of one call: first byte, then idle between chunks, and the total. */
class Watchdog {
  private readonly controller = new AbortController();
  private readonly timeouts: OllamaTimeouts;
  private readonly totalTimer: NodeJS.Timeout;
  private phaseTimer: NodeJS.Timeout;
  private waitingForFirstByte = true;
  /** Why the call was aborted, once a deadline passed. */
  expired: string | undefined;

  constructor(timeouts: OllamaTimeouts) {
    this.timeouts = timeouts;
    this.totalTimer = setTimeout(() => {
      this.expire(`no complete answer within ${timeouts.totalMs} ms`);
    }, timeouts.totalMs);
    this.phaseTimer = this.startPhase();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  firstByteArrived(): void {
    this.waitingForFirstByte = false;
    this.touch();
  }

  touch(): void {
    if (this.expired !== undefined) return;
    clearTimeout(this.phaseTimer);
    this.phaseTimer = this.startPhase();
  }

  clear(): void {
    clearTimeout(this.totalTimer);
    clearTimeout(this.phaseTimer);
  }

  private startPhase(): NodeJS.Timeout {
    const [ms, why] = this.waitingForFirstByte
      ? [this.timeouts.firstByteMs, `no answer within ${this.timeouts.firstByteMs} ms (model still loading?)`]
      : [this.timeouts.idleMs, `the answer stalled for ${this.timeouts.idleMs} ms`];
    return setTimeout(() => {
      this.expire(why);
    }, ms);
  }

  private expire(why: string): void {
    if (this.expired !== undefined) return;
    this.expired = why;
    this.controller.abort(new Error(why));
  }
}

const secondsToMs = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
