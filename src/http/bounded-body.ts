import type { Readable } from 'node:stream';

/**
 * An error response's body as text, up to `maxBytes`: it only adds the server's words to a
 * status that already says what happened, so a read failure yields what was read so far.
 */
export async function readBoundedText(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      size += buffer.length;
      if (size > maxBytes) break;
    }
  } catch {
    // Keep what arrived.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}
