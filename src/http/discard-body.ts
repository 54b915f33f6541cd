import type { IncomingMessage } from 'node:http';

/** How much of a refused body is read and thrown away before answering: 8 MiB, then we close. */
export const DISCARD_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Reads what is left of a request body and throws it away, up to `maxBytes`; resolves to true
 * when the body was read to its end (the connection can serve another request), false when it
 * failed or went over the bound.
 *
 * For a refused body (413): a server that answers and closes the connection while the client is
 * still sending makes the client's next write fail with EPIPE or ECONNRESET, and most clients then
 * report that error instead of the answer (curl: "Send failure: Broken pipe"). Reading the rest
 * first lets the client finish sending and read a clean 413. The bound keeps a client that sends
 * forever from holding the connection: past it, the connection is closed as before.
 */
export function discardRest(request: IncomingMessage, maxBytes = DISCARD_MAX_BYTES): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  if (request.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let discarded = 0;
    const done = () => {
      request.off('data', onData);
      request.off('end', done);
      request.off('error', done);
      request.off('close', done);
      resolve(request.complete);
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > maxBytes) done();
    };
    request.on('data', onData);
    request.once('end', done);
    request.once('error', done);
    request.once('close', done);
    request.resume();
  });
}
