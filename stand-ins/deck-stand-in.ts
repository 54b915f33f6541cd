import { listenOnLoopback } from './loopback.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Body, DeckError, DeckStore, type Json } from './deck/deck-store.ts';

/**
 * A real local HTTP server following Nextcloud Deck's REST API v1.0
 * (`/index.php/apps/deck/api/v1.0/…`) and its OCS comments endpoint
 * (`/ocs/v2.php/apps/deck/api/v1.0/cards/{cardId}/comments`). Deck's rules live in
 * DeckStore; this file is the wire: Basic auth, the OCS-APIRequest header, JSON and the OCS
 * envelope, ETag/304, call recording, and failures scripted by the test. Used by tests and by
 * the sandbox, so it imports nothing from vitest.
 */

export interface DeckStandInOptions {
  readonly user: string;
  readonly password: string;
  readonly displayName?: string;
  /** Clock for lastModified, createdAt and comment dates. */
  readonly now?: () => Date;
}

/** One request as it crossed the wire; `status` stays undefined while it is unanswered. */
export interface DeckCall {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
  status: number | undefined;
}

/** Answer the next `times` (default 1) requests matching `method` and the `path` substring with `status`. */
export interface DeckFailureRule {
  readonly status: number;
  readonly times?: number;
  readonly method?: string;
  readonly path?: string;
}

export interface DeckStandIn {
  /** What NEXTCLOUD_URL would be, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** `${url}/index.php/apps/deck/api/v1.0` */
  readonly apiUrl: string;
  /** `${url}/ocs/v2.php/apps/deck/api/v1.0` */
  readonly ocsUrl: string;
  /** Deck's data: seed boards, stacks and cards, and inspect what the service did. */
  readonly store: DeckStore;
  readonly calls: DeckCall[];
  failNext(rule: DeckFailureRule): void;
  /** The account's app password from now on: the office revoked the old one, or made a new one. */
  setPassword(password: string): void;
  /**
   * The next card creation creates the card, then never answers (until the client gives up or
   * close()): "created, but the response timed out". Resolves with the card once it exists.
   */
  hangNextCardCreation(): Promise<Json>;
  /**
   * The next comment posted is stored, then never answered: "posted, but the response was lost"
   * (a time-out, or the client killed). Resolves with the comment once it exists.
   */
  hangNextComment(): Promise<Json>;
  close(): Promise<void>;
}

const REST_BASE = '/index.php/apps/deck/api/v1.0';
const OCS_BASE = '/ocs/v2.php/apps/deck/api/v1.0';

interface RouteResult {
  readonly body: unknown;
  /** For GETs that carry an ETag header in Deck (and answer 304 to a matching If-None-Match). */
  readonly etag?: string;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (ids: number[], body: Body, query: URLSearchParams) => RouteResult;
  readonly createsCard?: true;
  readonly createsComment?: true;
}

function restRoutes(store: DeckStore): Route[] {
  const stacks = '/boards/(\\d+)/stacks';
  const card = `${stacks}/(\\d+)/cards/(\\d+)`;
  const route = (method: string, path: string, handle: Route['handle'], createsCard?: true): Route => ({
    method,
    pattern: new RegExp(`^${REST_BASE}${path}$`),
    handle,
    ...(createsCard ? { createsCard } : {}),
  });
  const withEtag = (json: Json): RouteResult => ({ body: json, etag: String(json.ETag) });
  return [
    route('GET', '/boards', () => ({ body: store.listBoards(), etag: store.boardsEtag() })),
    route('POST', '/boards', (_ids, body) => ({ body: store.createBoard(body) })),
    route('GET', '/boards/(\\d+)', ([b]) => withEtag(store.getBoard(b!))),
    route('PUT', '/boards/(\\d+)', ([b], body) => ({ body: store.updateBoard(b!, body) })),
    route('DELETE', '/boards/(\\d+)', ([b]) => ({ body: store.deleteBoard(b!) })),
    route('POST', '/boards/(\\d+)/labels', ([b], body) => ({ body: store.createLabel(b!, body) })),
    route('POST', '/boards/(\\d+)/acl', ([b], body) => ({ body: store.addAcl(b!, body) })),
    route('GET', stacks, ([b]) => ({ body: store.listStacks(b!), etag: store.stacksEtag(b!) })),
    route('POST', stacks, ([b], body) => ({ body: store.createStack(b!, body) })),
    route('GET', `${stacks}/(\\d+)`, ([b, s]) => withEtag(store.getStack(b!, s!))),
    route('PUT', `${stacks}/(\\d+)`, ([b, s], body) => ({ body: store.updateStack(b!, s!, body) })),
    route('DELETE', `${stacks}/(\\d+)`, ([b, s]) => ({ body: store.deleteStack(b!, s!) })),
    route(
      'POST',
      `${stacks}/(\\d+)/cards`,
      ([b, s], body) => ({ body: store.createCard(b!, s!, body) }),
      true,
    ),
    route('GET', card, ([b, s, c]) => withEtag(store.getCard(b!, s!, c!))),
    route('PUT', card, ([b, s, c], body) => ({ body: store.updateCard(b!, s!, c!, body) })),
    route('DELETE', card, ([b, s, c]) => ({ body: store.deleteCard(b!, s!, c!) })),
    route('PUT', `${card}/archive`, ([b, s, c]) => ({ body: store.setCardArchived(b!, s!, c!, true) })),
    route('PUT', `${card}/unarchive`, ([b, s, c]) => ({ body: store.setCardArchived(b!, s!, c!, false) })),
    route('PUT', `${card}/assignLabel`, ([b, s, c], body) => ({
      body: store.setCardLabel(b!, s!, c!, body, true),
    })),
    route('PUT', `${card}/removeLabel`, ([b, s, c], body) => ({
      body: store.setCardLabel(b!, s!, c!, body, false),
    })),
  ];
}

function ocsRoutes(store: DeckStore): Route[] {
  const pattern = new RegExp(`^${OCS_BASE}/cards/(\\d+)/comments$`);
  return [
    {
      method: 'GET',
      pattern,
      handle: ([c], _body, query) => ({
        body: store.listComments(c!, Number(query.get('limit') ?? 20), Number(query.get('offset') ?? 0)),
      }),
    },
    {
      method: 'POST',
      pattern,
      handle: ([c], body) => ({ body: store.createComment(c!, body) }),
      createsComment: true,
    },
  ];
}

interface StandInState {
  readonly options: DeckStandInOptions;
  password: string;
  readonly routes: Route[];
  readonly calls: DeckCall[];
  readonly failures: { status: number; remaining: number; method?: string; path?: string }[];
  readonly hangs: ((card: Json) => void)[];
  readonly commentHangs: ((comment: Json) => void)[];
}

export async function startDeckStandIn(options: DeckStandInOptions): Promise<DeckStandIn> {
  const store = new DeckStore(
    options.user,
    options.displayName ?? options.user,
    options.now ?? (() => new Date()),
  );
  const state: StandInState = {
    options,
    password: options.password,
    routes: [...restRoutes(store), ...ocsRoutes(store)],
    calls: [],
    failures: [],
    hangs: [],
    commentHangs: [],
  };
  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      serve(state, request, response, raw);
    });
  });
  const loopback = await listenOnLoopback(server);
  const url = loopback.url;

  return {
    url,
    apiUrl: `${url}${REST_BASE}`,
    ocsUrl: `${url}${OCS_BASE}`,
    store,
    calls: state.calls,
    setPassword(password) {
      state.password = password;
    },
    failNext(rule) {
      state.failures.push({ ...rule, remaining: rule.times ?? 1, method: rule.method?.toUpperCase() });
    },
    hangNextCardCreation() {
      return new Promise((resolve) => {
        state.hangs.push(resolve);
      });
    },
    hangNextComment() {
      return new Promise((resolve) => {
        state.commentHangs.push(resolve);
      });
    },
    close: () => loopback.close(),
  };
}

function serve(state: StandInState, request: IncomingMessage, response: ServerResponse, raw: string): void {
  const url = new URL(request.url ?? '/', 'http://deck.invalid');
  const call: DeckCall = {
    method: request.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: request.headers,
    body: parseBody(raw, request.headers['content-type']),
    status: undefined,
  };
  state.calls.push(call);
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    call.status = status;
    if (url.pathname.startsWith(`${OCS_BASE}/`)) respondOcs(request, response, status, body);
    else respondJson(response, status, body, headers);
  };
  const refusal = refuseBeforeRouting(state, request, call);
  if (refusal) {
    send(refusal.status, refusal);
    return;
  }
  const match = findRoute(state.routes, call.method, url.pathname);
  if (!match) {
    send(404, { status: 404, message: 'Page not found' });
    return;
  }
  try {
    const result = match.route.handle(match.ids, (call.body ?? {}) as Body, url.searchParams);
    const hang = match.route.createsCard
      ? state.hangs.shift()
      : match.route.createsComment
        ? state.commentHangs.shift()
        : undefined;
    if (hang) {
      hang(result.body as Json); // created; the response is deliberately never sent
      return;
    }
    const etag = result.etag === undefined ? undefined : `"${result.etag}"`;
    if (etag !== undefined && request.headers['if-none-match'] === etag) {
      call.status = 304;
      response.writeHead(304, { ETag: etag }).end();
      return;
    }
    send(200, result.body, etag === undefined ? {} : { ETag: etag });
  } catch (error) {
    // Anything but a DeckError is a bug of the stand-in: answer as Deck answers uncaught errors.
    if (error instanceof DeckError) send(error.status, { status: error.status, message: error.message });
    else send(500, { status: 500, message: String(error) });
  }
}

/** Auth, Nextcloud's CSRF check and scripted failures, in the order Nextcloud meets them. */
function refuseBeforeRouting(
  state: StandInState,
  request: IncomingMessage,
  call: DeckCall,
): { status: number; message: string } | undefined {
  if (!isAuthorised(request, state.options.user, state.password)) {
    return { status: 401, message: 'Current user is not logged in' };
  }
  // Nextcloud lets API clients past its CSRF check only with this header; Deck's docs require it.
  if (request.headers['ocs-apirequest'] !== 'true') return { status: 412, message: 'CSRF check failed' };
  const failure = takeFailure(state.failures, call);
  return failure === undefined ? undefined : { status: failure, message: 'Injected failure' };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

/** Nextcloud reads JSON bodies and form bodies alike. Unparsable JSON is kept as text. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function isAuthorised(request: IncomingMessage, user: string, password: string): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && Buffer.from(match[1]!, 'base64').toString('utf8') === `${user}:${password}`;
}

function takeFailure(failures: StandInState['failures'], call: DeckCall): number | undefined {
  const index = failures.findIndex(
    (rule) =>
      (rule.method === undefined || rule.method === call.method) &&
      (rule.path === undefined || call.path.includes(rule.path)),
  );
  const rule = failures[index];
  if (!rule) return undefined;
  if (--rule.remaining <= 0) failures.splice(index, 1);
  return rule.status;
}

function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; ids: number[] } | undefined {
  for (const route of routes) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (match) return { route, ids: match.slice(1).map(Number) };
  }
  return undefined;
}

function respondJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

/** OCS v2: HTTP status = statuscode; JSON only when asked (Accept or ?format=json), XML otherwise. */
function respondOcs(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  const ok = status < 400;
  const message =
    !ok && typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : 'OK';
  const envelope = {
    ocs: {
      meta: { status: ok ? 'ok' : 'failure', statuscode: status === 401 ? 997 : status, message },
      data: ok ? body : [],
    },
  };
  const wantsJson =
    (request.headers.accept ?? '').includes('application/json') ||
    new URL(request.url ?? '/', 'http://x').searchParams.get('format') === 'json';
  if (wantsJson) {
    respondJson(response, status, envelope, {});
    return;
  }
  response.writeHead(status, { 'Content-Type': 'text/xml; charset=UTF-8' });
  response.end(`<?xml version="1.0"?>\n${toXml('ocs', envelope.ocs)}\n`);
}

function toXml(name: string, value: unknown): string {
  if (Array.isArray(value))
    return `<${name}>${value.map((item) => toXml('element', item)).join('')}</${name}>`;
  if (typeof value === 'object' && value !== null) {
    return `<${name}>${Object.entries(value)
      .map(([key, child]) => toXml(key, child))
      .join('')}</${name}>`;
  }
  const text =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  return `<${name}>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</${name}>`;
}
