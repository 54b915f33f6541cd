import { listenOnLoopback } from '../stand-ins/loopback.ts';
import { EventEmitter } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * One Nextcloud origin for the service, as a real Nextcloud is one: WebDAV paths go to the
 * sabre/dav server, Deck's REST and OCS paths to the Deck stand-in. A streaming loopback proxy;
 * it announces each answered request so the web page can refresh the tree and the board.
 */

export interface NextcloudFront {
  /** What NEXTCLOUD_URL should be (no trailing slash). */
  readonly url: string;
  on(event: 'request', listener: (request: { method: string; path: string; status: number }) => void): void;
  /**
   * Where a link into Nextcloud's Files app (the folder link on cards and messages) leads: the
   * sandbox page, which shows the folder tree. Known once the service listens.
   */
  showFilesAt(url: string): void;
  close(): Promise<void>;
}

export interface NextcloudBackends {
  /** Root URL of the WebDAV server (serves `/remote.php/dav/…`). */
  readonly webdavUrl: string;
  /** Root URL of the Deck stand-in (serves `/index.php/apps/deck/…` and `/ocs/v2.php/apps/deck/…`). */
  readonly deckUrl: string;
}

/** Where a Nextcloud path is served, or undefined for paths no stand-in serves. */
export function backendFor(path: string, backends: NextcloudBackends): string | undefined {
  if (path.startsWith('/remote.php/')) return backends.webdavUrl;
  if (path.startsWith('/index.php/apps/deck/') || path.startsWith('/ocs/v2.php/apps/deck/')) {
    return backends.deckUrl;
  }
  return undefined;
}

const FILES_APP = '/index.php/apps/files';

export async function startNextcloudFront(backends: NextcloudBackends): Promise<NextcloudFront> {
  const events = new EventEmitter();
  let filesPage: string | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    if (filesPage !== undefined && (path === FILES_APP || path.startsWith(`${FILES_APP}/`))) {
      outgoing.writeHead(302, { location: filesPage }).end();
      return;
    }
    proxy(backends, incoming, outgoing, events);
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: loopback.url,
    on(event, listener) {
      events.on(event, listener);
    },
    showFilesAt(url) {
      filesPage = url;
    },
    close: () => loopback.close(),
  };
}

function proxy(
  backends: NextcloudBackends,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  events: EventEmitter,
): void {
  const path = incoming.url ?? '/';
  const method = incoming.method ?? 'GET';
  const backend = backendFor(path, backends);
  if (backend === undefined) {
    outgoing.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not served in the sandbox');
    return;
  }
  const target = new URL(path, backend);
  const upstream = request(
    target,
    { method, headers: { ...incoming.headers, host: target.host } },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
      answer.on('end', () => {
        events.emit('request', { method, path, status: answer.statusCode ?? 502 });
      });
    },
  );
  upstream.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(upstream);
}
