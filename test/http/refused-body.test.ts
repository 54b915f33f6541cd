import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let port: number;
beforeEach(async () => {
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
afterEach(async () => t.close());

const OVERSIZED_BODY = `{"update_id":1,"padding":"${'a'.repeat(1_200_000)}"}`;

/** HTTP/1.1 by hand: the refused request, then a second one on the same connection. */
function exchange(head: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    // EPIPE or ECONNRESET: the server closed while we were still sending.
    socket.on('error', reject);
    socket.write(head);
    socket.write(body);
    socket.end('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
}

const requestHead = (framing: string) =>
  `POST /telegram/update HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Bot-Slug: etm-terrain\r\n${framing}\r\n\r\n`;

const chunked = (text: string) => {
  const chunks = text.match(/[\s\S]{1,65536}/g) ?? [];
  return `${chunks.map((chunk) => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
};

describe('a body over 1 MB', () => {
  it.each([
    ['with a Content-Length', `Content-Length: ${OVERSIZED_BODY.length}`, OVERSIZED_BODY],
    ['chunked', 'Transfer-Encoding: chunked', chunked(OVERSIZED_BODY)],
  ])('%s gets a clean 413 JSON answer, and the connection stays usable', async (_name, framing, body) => {
    const answers = (await exchange(requestHead(framing), body)).split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 413 /);
    expect(answers[0]).toContain('"error":"payload_too_large"');
    expect(answers[1]).toMatch(/^HTTP\/1\.1 200 /);
  });
});
