import { type LoopbackServer, listenOnLoopback } from './loopback.ts';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local stand-in for Ollama's REST API (https://github.com/ollama/ollama/blob/main/docs/api.md): `GET /`, `GET|HEAD
 * /api/version`, `GET /api/tags`, `POST /api/embed` and `POST /api/chat` (NDJSON stream by
 * default, one JSON object with `"stream": false`), with Ollama's status codes and error bodies.
 *
 * Embeddings are a hashed bag of words, L2-normalised like /api/embed's, so that a question
 * sharing words with a note really is closer to it. Chat answers are canned French leads, or
 * what a test scripts; `options.num_predict` is honoured (one word = one token) and ends with
 * `done_reason: "length"`. Stream lines are written in two pieces split inside a multi-byte
 * character when there is one, as TCP may deliver them. No test framework in here: the sandbox
 * runs it too.
 */

export type OllamaStandInEndpoint = '/api/version' | '/api/tags' | '/api/embed' | '/api/chat';

export interface OllamaRecordedCall {
  readonly endpoint: string;
  readonly method: string;
  /** The parsed JSON body of a POST; undefined otherwise or when it was not JSON. */
  readonly body: Record<string, unknown> | undefined;
  /** ms since the epoch, from the stand-in's clock. */
  readonly at: number;
}

/** How the stand-in answers a scripted call instead of doing it. */
export type OllamaScriptedFailure =
  /** An HTTP error with Ollama's body `{"error": "..."}` (503 queue full, 500, 429…). */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly error: string;
      readonly headers?: Record<string, string>;
    }
  /** Never answers (no headers), until `close()`: a model loading forever, a wedged server. */
  | { readonly kind: 'hang' }
  /** Drops the connection without an answer. */
  | { readonly kind: 'disconnect' }
  /** Chat only: HTTP 200, `afterChunks` content lines, then `{"error": "..."}` (https://docs.ollama.com/api/errors). */
  | { readonly kind: 'streamError'; readonly afterChunks: number; readonly error: string }
  /** Chat only: HTTP 200, `afterChunks` content lines, then the end of the body without `done`. */
  | { readonly kind: 'endWithoutDone'; readonly afterChunks: number }
  /** Chat only: HTTP 200, `afterChunks` content lines, then silence with the connection open. */
  | { readonly kind: 'stallAfter'; readonly afterChunks: number };

export interface OllamaStandInOptions {
  /** Pulled models, with their tag. Default: a chat model and an embedding model. */
  readonly models?: readonly string[];
  /** Length of the embedding vectors. Default 256. */
  readonly dimensions?: number;
  readonly version?: string;
  /** Mixed into the word hashes: another "model" under the same name gives other vectors. */
  readonly salt?: string;
  /** The clock for `created_at` and recorded calls. Default `Date.now`. */
  readonly now?: () => number;
}

export const STAND_IN_CHAT_MODEL = 'mistral:7b-instruct';
export const STAND_IN_EMBED_MODEL = 'nomic-embed-text:latest';

/** Canned leads, as a small chat model asked for "3 à 5 pistes numérotées" answers. */
export const CANNED_LEADS = [
  '1. Cause : protection AC déclenchée ou sectionneur ouvert en amont de l’équipement',
  '   Vérifier : état du disjoncteur dédié et du différentiel au tableau ; réarmer une seule fois et noter si ça redéclenche.',
  '2. Cause : tension réseau hors plage, souvent trop haute en milieu de journée',
  '   Vérifier : mesurer la tension AC au point de raccordement et la comparer au seuil affiché par l’équipement.',
  '3. Cause : connecteur ou bornier desserré, échauffement',
  '   Vérifier : après consignation, contrôle visuel des borniers et resserrage au couple prescrit.',
  '4. Cause : paramètres perdus après une coupure ou une mise à jour',
  '   Vérifier : relire les paramètres installateur, la date et l’heure de l’équipement.',
].join('\n');

interface ChatScript {
  readonly content: string;
}

type Outcome =
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Record<string, string>;
    }
  | { readonly kind: 'text'; readonly status: number; readonly text: string }
  | { readonly kind: 'stream'; readonly lines: readonly unknown[]; readonly then: 'end' | 'hang' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'disconnect' };

const FRENCH_STOP_WORDS = new Set(
  'le la les un une des de du d l et ou en au aux a à sur sous par pour avec sans ce cet cette ces il elle on nous vous ils est sont pas ne plus qui que quoi dans se sa son ses leur leurs y'.split(
    ' ',
  ),
);

export class OllamaStandIn {
  /** Ollama root to give the client, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly calls: OllamaRecordedCall[] = [];

  private readonly loopback: LoopbackServer;
  private readonly models: Set<string>;
  private readonly dimensions: number;
  private readonly version: string;
  private readonly salt: string;
  private readonly now: () => number;
  private readonly events = new EventEmitter();
  private readonly scripts = new Map<string, OllamaScriptedFailure[]>();
  private readonly replies: ChatScript[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(server: Server, loopback: LoopbackServer, options: OllamaStandInOptions) {
    this.loopback = loopback;
    this.models = new Set(options.models ?? [STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL]);
    this.dimensions = options.dimensions ?? 256;
    this.version = options.version ?? '0.12.6';
    this.salt = options.salt ?? '';
    this.now = options.now ?? Date.now;
    this.url = loopback.url;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.open.add(response);
      response.on('close', () => this.open.delete(response));
      this.handle(request, response).catch((error: unknown) => {
        // A stand-in bug must show up in the test, not hang it.
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: `stand-in bug: ${String(error)}` }));
      });
    });
  }

  /** Starts a stand-in on 127.0.0.1, on a free port. */
  static async start(options: OllamaStandInOptions = {}): Promise<OllamaStandIn> {
    const server = createServer();
    return new OllamaStandIn(server, await listenOnLoopback(server), options);
  }

  /** Calls to one endpoint, oldest first. */
  callsTo(endpoint: string): OllamaRecordedCall[] {
    return this.calls.filter((call) => call.endpoint === endpoint);
  }

  /** Resolves with the next call to `endpoint` that arrives after this call. */
  async nextCall(endpoint: string): Promise<OllamaRecordedCall> {
    return new Promise((resolve) => {
      const listener = (call: OllamaRecordedCall): void => {
        if (call.endpoint !== endpoint) return;
        this.events.off('call', listener);
        resolve(call);
      };
      this.events.on('call', listener);
    });
  }

  /** Answers the next `times` calls to `endpoint` with `failure` (after earlier scripts). */
  failNext(endpoint: OllamaStandInEndpoint, failure: OllamaScriptedFailure, times = 1): void {
    const queue = this.scripts.get(endpoint) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(failure);
    this.scripts.set(endpoint, queue);
  }

  /** The next chat answers (in order) say `content` instead of the canned leads. */
  replyNext(...contents: string[]): void {
    this.replies.push(...contents.map((content) => ({ content })));
  }

  /** `ollama pull` / `ollama rm`: which models the server has. */
  pull(model: string): void {
    this.models.add(withTag(model));
  }

  remove(model: string): void {
    this.models.delete(withTag(model));
  }

  /** The vector /api/embed gives for `text`: tests compute expected similarities with it. */
  embedding(text: string): number[] {
    return hashedBagOfWords(text, this.dimensions, this.salt);
  }

  /** Stops listening and ends every connection, hung and stalled ones included. */
  async close(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.open.clear();
    await this.loopback.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.url).pathname;
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const body = method === 'POST' ? parseJson(raw) : undefined;
    const call: OllamaRecordedCall = { endpoint: path, method, body, at: this.now() };
    this.calls.push(call);
    this.events.emit('call', call);
    const outcome = this.scripted(path, body) ?? this.perform(path, method, raw, body);
    this.send(response, outcome, method === 'HEAD');
  }

  private scripted(path: string, body: Record<string, unknown> | undefined): Outcome | undefined {
    const failure = this.scripts.get(path)?.shift();
    if (!failure) return undefined;
    switch (failure.kind) {
      case 'status':
        return {
          kind: 'json',
          status: failure.status,
          body: { error: failure.error },
          headers: failure.headers ?? {},
        };
      case 'hang':
      case 'disconnect':
        return { kind: failure.kind };
      case 'streamError':
        return {
          kind: 'stream',
          lines: [...this.contentLines(body, failure.afterChunks), { error: failure.error }],
          then: 'end',
        };
      case 'endWithoutDone':
        return { kind: 'stream', lines: this.contentLines(body, failure.afterChunks), then: 'end' };
      case 'stallAfter':
        return { kind: 'stream', lines: this.contentLines(body, failure.afterChunks), then: 'hang' };
    }
  }

  private perform(
    path: string,
    method: string,
    raw: string,
    body: Record<string, unknown> | undefined,
  ): Outcome {
    if (path === '/' && (method === 'GET' || method === 'HEAD'))
      return { kind: 'text', status: 200, text: 'Ollama is running' };
    if (path === '/api/version' && (method === 'GET' || method === 'HEAD')) {
      return { kind: 'json', status: 200, body: { version: this.version } };
    }
    if (path === '/api/tags' && method === 'GET')
      return { kind: 'json', status: 200, body: { models: this.tags() } };
    if (path === '/api/embed' && method === 'POST') return this.embed(raw, body);
    if (path === '/api/chat' && method === 'POST') return this.chat(raw, body);
    return { kind: 'text', status: 404, text: '404 page not found' };
  }

  private tags(): unknown[] {
    return [...this.models].sort().map((name) => ({
      name,
      model: name,
      modified_at: new Date(this.now()).toISOString(),
      size: 4_113_301_824,
      digest: `sha256:${'0'.repeat(64)}`,
      details: {
        format: 'gguf',
        family: name.includes('embed') ? 'nomic-bert' : 'llama',
        parameter_size: name.includes('embed') ? '137M' : '7.2B',
        quantization_level: name.includes('embed') ? 'F16' : 'Q4_0',
      },
    }));
  }

  private embed(raw: string, body: Record<string, unknown> | undefined): Outcome {
    if (!body) return badRequest(raw === '' ? 'missing request body' : 'invalid character in JSON');
    const model = this.knownModel(body.model);
    if (typeof model !== 'string') return model;
    const input = body.input;
    const inputs = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(inputs) || !inputs.every((item) => typeof item === 'string')) {
      return badRequest('invalid input type');
    }
    return {
      kind: 'json',
      status: 200,
      body: {
        model,
        embeddings: inputs.map((text) => hashedBagOfWords(text, this.dimensions, this.salt)),
        total_duration: 14_143_917,
        load_duration: 1_019_500,
        prompt_eval_count: inputs.reduce((sum, text) => sum + words(text).length, 0),
      },
    };
  }

  private chat(raw: string, body: Record<string, unknown> | undefined): Outcome {
    if (!body) return badRequest(raw === '' ? 'missing request body' : 'invalid character in JSON');
    const model = this.knownModel(body.model);
    if (typeof model !== 'string') return model;
    if (model.includes('embed')) return badRequest(`"${model}" does not support chat`);
    if (!Array.isArray(body.messages)) return badRequest('messages is required');
    if (body.messages.length === 0) {
      return {
        kind: 'json',
        status: 200,
        body: {
          ...this.envelope(model),
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: 'load',
        },
      };
    }
    const { tokens, doneReason } = this.answerTokens(body);
    const final = {
      ...this.envelope(model),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: doneReason,
      total_duration: 5_191_566_416,
      load_duration: 2_154_458,
      prompt_eval_count: promptTokens(body.messages),
      prompt_eval_duration: 383_809_000,
      eval_count: tokens.length,
      eval_duration: 4_709_213_000,
    };
    if (body.stream === false) {
      return {
        kind: 'json',
        status: 200,
        body: { ...final, message: { role: 'assistant', content: tokens.join('') } },
      };
    }
    const lines = tokens.map((token) => ({
      ...this.envelope(model),
      message: { role: 'assistant', content: token },
      done: false,
    }));
    return { kind: 'stream', lines: [...lines, final], then: 'end' };
  }

  /** The model's answer cut into tokens (a word and its trailing space), within num_predict. */
  private answerTokens(body: Record<string, unknown>): { tokens: string[]; doneReason: 'stop' | 'length' } {
    const content = this.replies.shift()?.content ?? cannedLeads(body.messages);
    const tokens = content.match(/\s*\S+\s*/gu) ?? [];
    const options = (body.options ?? {}) as { num_predict?: unknown };
    const limit =
      typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : Infinity;
    return tokens.length > limit
      ? { tokens: tokens.slice(0, limit), doneReason: 'length' }
      : { tokens, doneReason: 'stop' };
  }

  private contentLines(body: Record<string, unknown> | undefined, count: number): unknown[] {
    const model = typeof body?.model === 'string' ? body.model : STAND_IN_CHAT_MODEL;
    const { tokens } = this.answerTokens(body ?? {});
    return tokens.slice(0, count).map((token) => ({
      ...this.envelope(model),
      message: { role: 'assistant', content: token },
      done: false,
    }));
  }

  private envelope(model: string): { model: string; created_at: string } {
    return { model, created_at: new Date(this.now()).toISOString() };
  }

  /** The model's full name, or Ollama's refusal: 400 without a name, 404 when not pulled. */
  private knownModel(model: unknown): string | Outcome {
    if (typeof model !== 'string' || model === '') return badRequest('model is required');
    const name = withTag(model);
    if (!this.models.has(name)) {
      // The scheduler's wording (server/routes.go has two; https://docs.ollama.com/api/errors says match the status).
      return {
        kind: 'json',
        status: 404,
        body: { error: `model "${model}" not found, try pulling it first` },
      };
    }
    return name;
  }

  private send(response: ServerResponse, outcome: Outcome, head: boolean): void {
    switch (outcome.kind) {
      case 'hang':
        return;
      case 'disconnect':
        response.destroy();
        return;
      case 'text':
        response.writeHead(outcome.status, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(head ? undefined : outcome.text);
        return;
      case 'json': {
        const bytes = Buffer.from(JSON.stringify(outcome.body));
        response.writeHead(outcome.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': bytes.length,
          ...outcome.headers,
        });
        response.end(head ? undefined : bytes);
        return;
      }
      case 'stream':
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const line of outcome.lines) {
          for (const piece of splitInsideCharacter(Buffer.from(`${JSON.stringify(line)}\n`)))
            response.write(piece);
        }
        if (outcome.then === 'end') response.end();
        return;
    }
  }
}

/** `mistral` is `mistral:latest`. */
function withTag(model: string): string {
  return (model.split('/').at(-1) ?? model).includes(':') ? model : `${model}:latest`;
}

function badRequest(error: string): Outcome {
  return { kind: 'json', status: 400, body: { error } };
}

function words(text: string): string[] {
  return (
    text
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).filter((word) => !FRENCH_STOP_WORDS.has(word) && (word.length > 1 || /\d/u.test(word)));
}

/**
 * Signed feature hashing of the words (FNV-1a), normalised to length 1: identical texts give
 * identical vectors, shared words raise the cosine, and nothing depends on a model.
 */
export function hashedBagOfWords(text: string, dimensions: number, salt = ''): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of words(text)) {
    const hash = fnv1a(salt + word);
    vector[hash % dimensions]! += hash & 0x8000_0000 ? -1 : 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((x) => x / norm);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Canned leads; the first one cites the first note when the prompt holds notes (`[N1]`). */
function cannedLeads(messages: unknown): string {
  const prompt = JSON.stringify(messages ?? '');
  if (!prompt.includes('[N1]')) return CANNED_LEADS;
  const [first, ...rest] = CANNED_LEADS.split('\n');
  return [`${first!} [N1]`, ...rest].join('\n');
}

function promptTokens(messages: unknown[]): number {
  return messages.reduce<number>((sum, message) => {
    const content = (message as { content?: unknown }).content;
    return sum + (typeof content === 'string' ? Math.ceil(content.length / 4) : 0);
  }, 0);
}

/** Two pieces, the cut inside the first multi-byte character if any, else in the middle. */
function splitInsideCharacter(bytes: Buffer): Buffer[] {
  const multiByte = bytes.findIndex((byte) => byte >= 0x80);
  const cut = multiByte >= 0 ? multiByte + 1 : Math.floor(bytes.length / 2);
  return cut > 0 && cut < bytes.length ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
