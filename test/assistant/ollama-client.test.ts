import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOllamaClient, type OllamaClient } from '../../src/assistant/ollama-client.ts';
import {
  OllamaApiError,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from '../../src/assistant/ollama-errors.ts';
import {
  CANNED_LEADS,
  OllamaStandIn,
  STAND_IN_CHAT_MODEL,
  STAND_IN_EMBED_MODEL,
} from '../../stand-ins/ollama-stand-in.ts';

/** Short deadlines for the hang cases: the stand-in never answers, the client must give up. */
const HANG_MS = 200;

let ollama: OllamaStandIn;
let client: OllamaClient;
beforeEach(async () => {
  ollama = await OllamaStandIn.start();
  client = createOllamaClient({ url: ollama.url });
});
afterEach(async () => {
  await client.close();
  await ollama.close();
});

const chatRequest = (options: Record<string, number> = {}) => ({
  model: STAND_IN_CHAT_MODEL,
  messages: [{ role: 'user' as const, content: 'La PAC ne redémarre pas' }],
  options: { temperature: 0.2, num_ctx: 4096, num_predict: 500, ...options },
});

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Ollama client: answers', () => {
  it('reads the version and the pulled models', async () => {
    expect(await client.version()).toBe('0.12.6');
    expect(await client.tags()).toEqual(expect.arrayContaining([STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL]));
  });

  it('embeds a batch, one vector per input in order', async () => {
    const vectors = await client.embed(STAND_IN_EMBED_MODEL, ['onduleur Fronius 567', 'PAC U4']);
    expect(vectors).toEqual([ollama.embedding('onduleur Fronius 567'), ollama.embedding('PAC U4')]);
    expect(ollama.callsTo('/api/embed')[0]!.body).toEqual({
      model: STAND_IN_EMBED_MODEL,
      input: ['onduleur Fronius 567', 'PAC U4'],
    });
  });

  it('streams a chat answer, accents intact across chunk boundaries, with its statistics', async () => {
    const result = await client.chat({ ...chatRequest(), keepAlive: '30m' });
    expect(result.content).toBe(CANNED_LEADS);
    expect(result).toMatchObject({ doneReason: 'stop', totalDurationMs: 5192 });
    expect(result.evalCount).toBeGreaterThan(10);
    expect(ollama.callsTo('/api/chat')[0]!.body).toMatchObject({
      stream: true,
      keep_alive: '30m',
      options: { temperature: 0.2, num_ctx: 4096, num_predict: 500 },
    });
  });

  it('reports an answer cut by num_predict', async () => {
    const result = await client.chat(chatRequest({ num_predict: 12 }));
    expect(result.doneReason).toBe('length');
    expect(result.evalCount).toBe(12);
  });
});

describe('Ollama client: refusals', () => {
  it('tells a model that is not pulled by its 404', async () => {
    ollama.remove(STAND_IN_CHAT_MODEL);
    const error = await rejectionOf(client.chat(chatRequest()));
    expect(error).toBeInstanceOf(OllamaApiError);
    expect(error).toMatchObject({ status: 404, model: STAND_IN_CHAT_MODEL, endpoint: '/api/chat' });
  });

  it('keeps the status and message of a full queue (503)', async () => {
    ollama.failNext('/api/embed', {
      kind: 'status',
      status: 503,
      error: 'server busy, please try again.  maximum pending requests exceeded',
    });
    const error = await rejectionOf(client.embed(STAND_IN_EMBED_MODEL, ['x']));
    expect(error).toMatchObject({ status: 503, description: expect.stringContaining('server busy') });
  });

  it('reads a Retry-After a proxy may add', async () => {
    ollama.failNext('/api/chat', {
      kind: 'status',
      status: 429,
      error: 'too many',
      headers: { 'retry-after': '7' },
    });
    expect(await rejectionOf(client.chat(chatRequest()))).toMatchObject({ status: 429, retryAfterMs: 7000 });
  });

  it('refuses an embedding model for chat with a 400', async () => {
    const error = await rejectionOf(client.chat({ ...chatRequest(), model: STAND_IN_EMBED_MODEL }));
    expect(error).toMatchObject({
      status: 400,
      description: expect.stringContaining('does not support chat'),
    });
  });
});

describe('Ollama client: broken streams', () => {
  it('turns an error line after a 200 into a StreamError, never a partial answer', async () => {
    ollama.failNext('/api/chat', {
      kind: 'streamError',
      afterChunks: 3,
      error: 'llama runner process has terminated',
    });
    const error = await rejectionOf(client.chat(chatRequest()));
    expect(error).toBeInstanceOf(OllamaStreamError);
    expect(error).toMatchObject({
      description: 'llama runner process has terminated',
      receivedChars: expect.any(Number),
    });
    expect(Reflect.get(error, 'receivedChars')).toBeGreaterThan(0);
  });

  it('turns a stream that ends without done into a StreamError', async () => {
    ollama.failNext('/api/chat', { kind: 'endWithoutDone', afterChunks: 2 });
    const error = await rejectionOf(client.chat(chatRequest()));
    expect(error).toBeInstanceOf(OllamaStreamError);
    expect(error.message).toContain('without its done line');
  });

  it('turns a body that is not what the API says into a ProtocolError', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end('<html>proxy</html>\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const odd = createOllamaClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      expect(await rejectionOf(odd.chat(chatRequest()))).toBeInstanceOf(OllamaProtocolError);
      expect(await rejectionOf(odd.embed(STAND_IN_EMBED_MODEL, ['x']))).toBeInstanceOf(OllamaProtocolError);
    } finally {
      await odd.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('Ollama client: transport failures and deadlines', () => {
  it('says Ollama is down when nothing listens', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    // A reverse proxy's credentials in OLLAMA_URL must not end up in a log line.
    const down = createOllamaClient({ url: `http://ops:s3cret-pass@127.0.0.1:${port}` });
    try {
      const error = await rejectionOf(down.version());
      expect(error).toBeInstanceOf(OllamaTransportError);
      expect(error).toMatchObject({ code: 'ECONNREFUSED', endpoint: '/api/version' });
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('s3cret-pass');
      expect(error.cause).toBeUndefined();
    } finally {
      await down.close();
    }
  });

  it('gives up on a model that never starts answering (no headers) after firstByteMs', async () => {
    const impatient = createOllamaClient({ url: ollama.url, timeouts: { firstByteMs: HANG_MS } });
    ollama.failNext('/api/chat', { kind: 'hang' });
    try {
      const error = await rejectionOf(impatient.chat(chatRequest()));
      expect(error).toBeInstanceOf(OllamaTransportError);
      expect(error).toMatchObject({ code: 'ETIMEDOUT' });
      expect(error.message).toContain('model still loading?');
    } finally {
      await impatient.close();
    }
  });

  it('gives up on a stream that stalls after some chunks after idleMs', async () => {
    const impatient = createOllamaClient({ url: ollama.url, timeouts: { idleMs: HANG_MS } });
    ollama.failNext('/api/chat', { kind: 'stallAfter', afterChunks: 4 });
    try {
      const error = await rejectionOf(impatient.chat(chatRequest()));
      expect(error).toMatchObject({ code: 'ETIMEDOUT', message: expect.stringContaining('stalled') });
    } finally {
      await impatient.close();
    }
  });

  it('bounds the whole call by totalMs even while chunks keep the idle deadline happy', async () => {
    const impatient = createOllamaClient({ url: ollama.url, timeouts: { totalMs: HANG_MS } });
    ollama.failNext('/api/embed', { kind: 'hang' });
    try {
      const error = await rejectionOf(impatient.embed(STAND_IN_EMBED_MODEL, ['x']));
      expect(error).toMatchObject({
        code: 'ETIMEDOUT',
        message: expect.stringContaining('no complete answer'),
      });
    } finally {
      await impatient.close();
    }
  });

  it('reports a dropped connection as a transport failure', async () => {
    ollama.failNext('/api/tags', { kind: 'disconnect' });
    const error = await rejectionOf(client.tags());
    expect(error).toBeInstanceOf(OllamaTransportError);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(UND_ERR_SOCKET|ECONNRESET)$/u) });
  });
});
