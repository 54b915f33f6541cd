import { listenOnLoopback } from '../stand-ins/loopback.ts';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request } from 'undici';

/**
 * A loopback proxy in front of the Telegram stand-in that records each Bot API call together
 * with Telegram's answer. The stand-in records what was asked; the web chat also needs what was
 * answered (the message_id of a sent message, to press its buttons and to see them edited).
 * Records never hold the token.
 */

export interface TappedCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly ok: boolean;
  /** Telegram's `result` when ok: a Message, a Message[] or `true`. */
  readonly result?: unknown;
  /** Telegram's `description` when not ok. */
  readonly description?: string;
  /** ms since the epoch. */
  readonly at: number;
}

export interface BotApiTap {
  /** What TELEGRAM_API_URL should be. */
  readonly url: string;
  on(event: 'call', listener: (call: TappedCall) => void): void;
  close(): Promise<void>;
}

const METHOD_PATH = /^\/bot[^/]+\/([^/?]+)/u;

export async function startBotApiTap(upstreamUrl: string): Promise<BotApiTap> {
  const events = new EventEmitter();
  const server: Server = createServer((incoming, outgoing) => {
    forward(upstreamUrl, incoming, outgoing, events).catch(() => {
      // The stand-in is gone (shutting down): answer as a proxy would.
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: loopback.url,
    on(event, listener) {
      events.on(event, listener);
    },
    close: () => loopback.close(),
  };
}

async function forward(
  upstreamUrl: string,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  events: EventEmitter,
): Promise<void> {
  const body = await readAll(incoming);
  const contentType = incoming.headers['content-type'];
  const method = incoming.method ?? 'GET';
  const answer = await request(`${upstreamUrl}${incoming.url ?? '/'}`, {
    method: method as 'GET' | 'POST',
    headers: contentType ? { 'content-type': contentType } : {},
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  const answerBody = Buffer.from(await answer.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'retry-after']) {
    const value = answer.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  outgoing.writeHead(answer.statusCode, { ...headers, 'content-length': answerBody.length });
  outgoing.end(answerBody);
  const botMethod = METHOD_PATH.exec(incoming.url ?? '')?.[1];
  if (botMethod !== undefined) events.emit('call', tapped(botMethod, contentType, body, answerBody));
}

function tapped(method: string, contentType: string | undefined, body: Buffer, answer: Buffer): TappedCall {
  const envelope = parseJson(answer) as { ok?: boolean; result?: unknown; description?: string } | undefined;
  const ok = envelope?.ok === true;
  return {
    method,
    params: contentType?.startsWith('application/json') ? asRecord(parseJson(body)) : {},
    ok,
    ...(ok ? { result: envelope.result } : { description: envelope?.description ?? 'no Bot API answer' }),
    at: Date.now(),
  };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
