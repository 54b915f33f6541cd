import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { Agent, type Dispatcher, request } from 'undici';
import {
  DeckApiError,
  DeckManageRightMissing,
  deckTransportError,
  isArchivedError,
  isStaleIdError,
} from './deck-errors.ts';
import { startDeadline } from '../http/deadline.ts';
import { redactSecrets } from '../http/redact.ts';
import { retryAfterSeconds } from '../http/retry-after.ts';

/**
 * Nextcloud Deck over its REST API v1.0, plus the OCS comments endpoint
 * (https://github.com/nextcloud/deck/blob/main/docs/API.md, "Comments").
 * Boards and stacks are found by title (NFC, exact) and their ids cached; a card is found again
 * by the report id it carries before a new one is created, because POST is not idempotent and a
 * response can be lost after Deck created the card.
 */
export interface DeckClient {
  /**
   * Board by title (not archived, not deleted) → its id; created if missing. Stack by title on
   * that board; created if missing. Ids are cached; any 403 (Deck's answer for unknown ids) or
   * archived-board 500 drops the cache, and `upsertReportCard` then resolves them again once.
   * A board of the service's own (created by it) is shared with `shareGroup` (edit rights) when
   * it is not yet, so the office sees it. A missing stack on a board shared without "manage"
   * fails with DeckManageRightMissing.
   */
  ensureStack(
    boardTitle: string,
    stackTitle: string,
    shareGroup?: string,
  ): Promise<{ boardId: number; stackId: number }>;
  /**
   * The live card on the board whose title or description contains `marker` (the report id, e.g.
   * `SAV-0042`) as a whole word, if any. Title matches win over description matches (a SAV text
   * may quote another report's id), then the oldest card. Archived cards are not searched.
   */
  findCard(boardId: number, marker: string): Promise<{ id: number; stackId: number } | undefined>;
  /** Not idempotent: call it through `upsertReportCard`, which looks for the card first. */
  createCard(
    boardId: number,
    stackId: number,
    card: { title: string; description: string; duedate?: string },
  ): Promise<{ id: number }>;
  /**
   * Rewrites a card's description with `revise`, keeping everything else the office may have
   * changed (title, due date, done, order): Deck's PUT replaces the whole card, so the card is
   * read first and sent back whole. False when the description was already as `revise` makes it.
   */
  reviseDescription(
    boardId: number,
    stackId: number,
    cardId: number,
    revise: (description: string) => string,
  ): Promise<boolean>;
  /**
   * A Deck comment via OCS, cut to Deck's 1000 characters (code points) with a final `…`; returns
   * its id. Not idempotent: after an uncertain failure, look for it with `findComment` first.
   */
  addComment(cardId: number, message: string): Promise<number>;
  /** The newest of the card's last 50 comments whose text contains `marker`, if any. */
  findComment(cardId: number, marker: string): Promise<number | undefined>;
  /** `<url>/index.php/apps/deck/board/<b>/card/<c>`: Deck's server route `page#indexCard`. */
  cardLink(boardId: number, cardId: number): string;
  /** Closes the connection pool the client owns. */
  close(): Promise<void>;
}

export interface DeckClientOptions {
  /** NEXTCLOUD_URL, e.g. `https://cloud.example.fr` (no credentials in it). */
  readonly url: string;
  readonly user: string;
  /** An app password, never the login password
   * (https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/basic.html). */
  readonly password: string;
  /** Longest wait for one call's whole answer. Default 60 s: throttled logins take up to 25 s. */
  readonly timeoutMs?: number;
}

export const DEFAULT_DECK_TIMEOUT_MS = 60_000;
/** Deck measures comments with mb_strlen: code points. */
export const COMMENT_MAX_CHARACTERS = 1000;
/** Nextcloud's blue: Deck requires a colour for a new board. */
const NEW_BOARD_COLOR = '0082c9';
const REST_PATH = '/index.php/apps/deck/api/v1.0';
const OCS_PATH = '/ocs/v2.php/apps/deck/api/v1.0';

export function createDeckClient(options: DeckClientOptions): DeckClient {
  const transport = openTransport(options);
  const cache: IdCache = { boards: new Map(), stacks: new Map() };
  const call: Call = async (operation, target, body, schema) => {
    try {
      return await send(transport, operation, target, body, schema);
    } catch (error) {
      // The ids we hold may be the reason: the next resolution asks Deck again.
      if (isStaleIdError(error) || isArchivedError(error)) forgetIds(cache);
      throw error;
    }
  };

  return {
    async ensureStack(boardTitle, stackTitle, shareGroup) {
      const share = shareGroup === undefined ? undefined : { group: shareGroup, owner: options.user };
      const boardId = await cached(cache.boards, titleKey(boardTitle), async () =>
        resolveBoard(call, boardTitle, share),
      );
      const stackId = await cached(cache.stacks, `${boardId}/${titleKey(stackTitle)}`, async () =>
        resolveStack(call, { id: boardId, title: boardTitle }, stackTitle),
      );
      return { boardId, stackId };
    },
    async findCard(boardId, marker) {
      const pattern = markerPattern(marker);
      const stacks = await call('findCard', rest('GET', `/boards/${boardId}/stacks`), undefined, StackList);
      return pickCard(stacks, pattern);
    },
    async createCard(boardId, stackId, card) {
      const body = {
        title: card.title,
        type: 'plain',
        order: 999,
        description: card.description,
        duedate: card.duedate ?? null,
      };
      const target = rest('POST', `/boards/${boardId}/stacks/${stackId}/cards`);
      const created = await call('createCard', target, body, Entity);
      return { id: created.id };
    },
    async reviseDescription(boardId, stackId, cardId, revise) {
      const path = `/boards/${boardId}/stacks/${stackId}/cards/${cardId}`;
      const card = await call('getCard', rest('GET', path), undefined, FullCard);
      const description = revise(card.description ?? '');
      if (description === (card.description ?? '')) return false;
      const body = {
        title: card.title,
        type: card.type,
        owner: typeof card.owner === 'string' ? card.owner : card.owner.uid,
        order: card.order,
        description,
        duedate: card.duedate ?? null,
        done: card.done ?? null,
        archived: card.archived,
      };
      await call('updateCard', rest('PUT', path), body, Entity);
      return true;
    },
    async addComment(cardId, message) {
      const body = { message: cutComment(message), parentId: null };
      // Deck's POST answers the id as a string where its list has a number: take both.
      const created = await call('addComment', ocs('POST', `/cards/${cardId}/comments`), body, Comment);
      return Number(created.id);
    },
    async findComment(cardId, marker) {
      const target = ocs('GET', `/cards/${cardId}/comments?limit=50`);
      const comments = await call('listComments', target, undefined, Type.Array(Comment));
      const found = comments.find((comment) => comment.message.includes(marker));
      return found && Number(found.id);
    },
    cardLink(boardId, cardId) {
      return `${transport.baseUrl}/index.php/apps/deck/board/${boardId}/card/${cardId}`;
    },
    close: async () => transport.agent.close(),
  };
}

/** Where a report's card is: its board, the stack it is made in, and the report id it carries. */
export interface ReportCardPlace {
  readonly boardTitle: string;
  /** Nextcloud group a board the service owns is shared with (DECK_SHARE_GROUP). */
  readonly shareGroup?: string | undefined;
  readonly stackTitle: string;
  readonly marker: string;
}

/**
 * Finds the report's card on the board, and creates it in its stack only if it is absent: a job
 * that timed out after Deck created the card finds it on its next attempt. A 403 or an
 * archived-board 500 (stale cached ids: board deleted or archived by the office) is met by
 * resolving the board and stack again, once; the second answer is final.
 */
export async function upsertReportCard(
  deck: DeckClient,
  input: ReportCardPlace & { title: string; description: string; duedate?: string },
): Promise<{ boardId: number; stackId: number; cardId: number; created: boolean }> {
  const attempt = async () => {
    const { boardId, stackId } = await deck.ensureStack(input.boardTitle, input.stackTitle, input.shareGroup);
    const found = await deck.findCard(boardId, input.marker);
    if (found) return { boardId, stackId: found.stackId, cardId: found.id, created: false };
    const card = { title: input.title, description: input.description, duedate: input.duedate };
    const { id } = await deck.createCard(boardId, stackId, card);
    return { boardId, stackId, cardId: id, created: true };
  };
  return onceMoreOnStaleIds(attempt);
}

/**
 * Rewrites the description of the report's card, found by its id wherever the office moved it;
 * 'missing' when the board has no such live card (deleted or archived by the office).
 */
export async function reviseReportCard(
  deck: DeckClient,
  input: ReportCardPlace & { revise: (description: string) => string },
): Promise<'revised' | 'unchanged' | 'missing'> {
  return onceMoreOnStaleIds(async () => {
    const { boardId } = await deck.ensureStack(input.boardTitle, input.stackTitle, input.shareGroup);
    const found = await deck.findCard(boardId, input.marker);
    if (!found) return 'missing';
    const revised = await deck.reviseDescription(boardId, found.stackId, found.id, input.revise);
    return revised ? 'revised' : 'unchanged';
  });
}

/** A 403 or an archived-board 500 may come from cached ids: resolved again once, the second answer is final. */
async function onceMoreOnStaleIds<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!isStaleIdError(error) && !isArchivedError(error)) throw error;
    return attempt();
  }
}

// ---- resolution by title ----

type Call = <S extends TSchema>(
  operation: string,
  target: Target,
  body: unknown,
  schema: S,
) => Promise<Static<S>>;

interface IdCache {
  /** Promises, so that concurrent reports share one resolution instead of creating two boards. */
  readonly boards: Map<string, Promise<number>>;
  readonly stacks: Map<string, Promise<number>>;
}

function titleKey(title: string): string {
  return title.normalize('NFC');
}

async function cached(
  map: Map<string, Promise<number>>,
  key: string,
  resolve: () => Promise<number>,
): Promise<number> {
  let pending = map.get(key);
  if (pending === undefined) {
    pending = resolve();
    map.set(key, pending);
    const settled = pending;
    settled.catch(() => {
      if (map.get(key) === settled) map.delete(key);
    });
  }
  return pending;
}

function forgetIds(cache: IdCache): void {
  cache.boards.clear();
  cache.stacks.clear();
}

/**
 * The oldest live board titled `title`, else a new one. Archived boards are skipped on purpose:
 * Deck refuses every write under them (500), and unarchiving would undo the office's decision.
 */
async function resolveBoard(
  call: Call,
  title: string,
  share: { group: string; owner: string } | undefined,
): Promise<number> {
  const boards = await call('ensureStack', rest('GET', '/boards'), undefined, BoardList);
  const live = boards.filter(
    (board) => !board.archived && board.deletedAt === 0 && titleKey(board.title) === titleKey(title),
  );
  const existing = oldest(live);
  if (existing === undefined) {
    const body = { title: titleKey(title), color: NEW_BOARD_COLOR };
    const created = await call('ensureStack', rest('POST', '/boards'), body, Entity);
    if (share) await shareBoard(call, created.id, share.group);
    return created.id;
  }
  // Checked on every resolution: a share lost with a crash right after the creation is made now.
  const ours = existing.owner?.uid === share?.owner;
  const shared = (existing.acl ?? []).some((acl) => acl.type === 1 && acl.participant.uid === share?.group);
  if (share && ours && !shared) await shareBoard(call, existing.id, share.group);
  return existing.id;
}

/** Deck's ACL API: the group may read and edit cards, not manage nor reshare the board. */
async function shareBoard(call: Call, boardId: number, group: string): Promise<void> {
  const body = {
    type: 1,
    participant: group,
    permissionEdit: true,
    permissionShare: false,
    permissionManage: false,
  };
  await call('shareBoard', rest('POST', `/boards/${boardId}/acl`), body, Entity);
}

/** The oldest live stack titled `title` on the board, else a new one after the existing stacks. */
async function resolveStack(
  call: Call,
  board: { id: number; title: string },
  title: string,
): Promise<number> {
  const boardId = board.id;
  const listing = await call('ensureStack', rest('GET', `/boards/${boardId}/stacks`), undefined, StackList);
  const stacks = listing.filter((stack) => (stack.deletedAt ?? 0) === 0);
  const existing = oldest(stacks.filter((stack) => titleKey(stack.title) === titleKey(title)));
  if (existing !== undefined) return existing.id;
  const order = Math.max(-1, ...stacks.map((stack) => stack.order)) + 1;
  const body = { title: titleKey(title), order };
  try {
    return (await call('ensureStack', rest('POST', `/boards/${boardId}/stacks`), body, Entity)).id;
  } catch (error) {
    // The board answered its stacks a moment ago: a 403 now is the missing "manage" right.
    if (isStaleIdError(error)) throw new DeckManageRightMissing(error as DeckApiError, board.title, title);
    throw error;
  }
}

function oldest<T extends { id: number }>(entities: readonly T[]): T | undefined {
  return entities.reduce<T | undefined>(
    (best, entity) => (best && best.id <= entity.id ? best : entity),
    undefined,
  );
}

function pickCard(stacks: readonly Stack[], pattern: RegExp): { id: number; stackId: number } | undefined {
  const cards = stacks.flatMap((stack) =>
    (stack.cards ?? []).map((card) => ({ ...card, stackId: stack.id })),
  );
  const byTitle = cards.filter((card) => pattern.test(card.title.normalize('NFC')));
  const byDescription = cards.filter((card) => pattern.test((card.description ?? '').normalize('NFC')));
  const found = oldest(byTitle) ?? oldest(byDescription);
  return found && { id: found.id, stackId: found.stackId };
}

/** `SAV-0042` as a whole word: not inside `SAV-00421` nor `XSAV-0042`. */
function markerPattern(marker: string): RegExp {
  const text = marker.trim().normalize('NFC');
  if (text === '') throw new RangeError('a card marker must not be empty: it would match every card');
  const escaped = text.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u');
}

const graphemes = new Intl.Segmenter('fr', { granularity: 'grapheme' });

/** At most COMMENT_MAX_CHARACTERS code points, cut between graphemes, `…` marking the cut. */
export function cutComment(message: string): string {
  if (Array.from(message).length <= COMMENT_MAX_CHARACTERS) return message;
  let kept = '';
  let length = 0;
  for (const { segment } of graphemes.segment(message)) {
    const size = Array.from(segment).length;
    if (length + size > COMMENT_MAX_CHARACTERS - 1) break;
    kept += segment;
    length += size;
  }
  return `${kept}…`;
}

// ---- Deck's JSON, checked where it enters ----

const Comment = Type.Object({ id: Type.Union([Type.Integer(), Type.String()]), message: Type.String() });
const Entity = Type.Object({ id: Type.Integer() });
const BoardList = Type.Array(
  Type.Object({
    id: Type.Integer(),
    title: Type.String(),
    archived: Type.Boolean(),
    deletedAt: Type.Number(),
    owner: Type.Optional(Type.Object({ uid: Type.String() })),
    acl: Type.Optional(
      Type.Array(Type.Object({ type: Type.Number(), participant: Type.Object({ uid: Type.String() }) })),
    ),
  }),
);
const CardSummary = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
/** A card as GET returns it: what a PUT must send back, since it replaces the whole card. */
const FullCard = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  type: Type.String(),
  owner: Type.Union([Type.String(), Type.Object({ uid: Type.String() })]),
  order: Type.Number(),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  duedate: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  done: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  archived: Type.Boolean(),
});
const StackSchema = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  order: Type.Number(),
  deletedAt: Type.Optional(Type.Number()),
  // Deck omits `cards` on a stack without live cards.
  cards: Type.Optional(Type.Array(CardSummary)),
});
const StackList = Type.Array(StackSchema);
type Stack = Static<typeof StackSchema>;

// ---- the wire ----

interface Transport {
  readonly baseUrl: string;
  readonly authorization: string;
  readonly secrets: readonly string[];
  readonly agent: Agent;
  readonly timeoutMs: number;
}

interface Target {
  readonly api: 'rest' | 'ocs';
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Below the API base, e.g. `/boards/3/stacks`. */
  readonly path: string;
}

const rest = (method: Target['method'], path: string): Target => ({ api: 'rest', method, path });
const ocs = (method: Target['method'], path: string): Target => ({ api: 'ocs', method, path });

/** How a call is named in errors and logs: method and ids, never the host or credentials. */
const describeTarget = (target: Target) =>
  `${target.method} ${target.api === 'ocs' ? 'ocs ' : ''}${target.path}`;

function openTransport(options: DeckClientOptions): Transport {
  const baseUrl = checkedBaseUrl(options.url);
  const credentials = `${options.user}:${options.password}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DECK_TIMEOUT_MS;
  return {
    baseUrl,
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    secrets: [options.password, credentials],
    agent: new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs }),
    timeoutMs,
  };
}

function checkedBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: a mistyped value may hold a password.
    throw new Error('the Nextcloud URL is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('the Nextcloud URL must be http(s)');
  if (url.username !== '' || url.password !== '') {
    throw new Error('the Nextcloud URL must not carry credentials: give the user and app password apart');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/u, '')}`;
}

async function send<S extends TSchema>(
  transport: Transport,
  operation: string,
  target: Target,
  body: unknown,
  schema: S,
): Promise<Static<S>> {
  const described = describeTarget(target);
  const deadline = startDeadline(transport.timeoutMs);
  try {
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(
        `${transport.baseUrl}${target.api === 'ocs' ? OCS_PATH : REST_PATH}${target.path}`,
        {
          method: target.method,
          headers: {
            authorization: transport.authorization,
            'ocs-apirequest': 'true',
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          dispatcher: transport.agent,
          signal: deadline.signal,
        },
      );
      text = await response.body.text();
    } catch (error) {
      throw deckTransportError(operation, described, error, transport.secrets);
    }
    return readAnswer(transport, operation, target, response, text, schema);
  } finally {
    deadline.clear();
  }
}

/** Deck's answer checked against `schema`: a refusal is a DeckApiError, anything unusable a transport one. */
function readAnswer<S extends TSchema>(
  transport: Transport,
  operation: string,
  target: Target,
  response: Dispatcher.ResponseData,
  text: string,
  schema: S,
): Static<S> {
  const described = describeTarget(target);
  const json = parseJson(text);
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new DeckApiError({
      operation,
      request: described,
      status: response.statusCode,
      description: redactSecrets(
        errorMessage(json, target) ?? `HTTP ${response.statusCode} without a Deck JSON body`,
        transport.secrets,
      ),
      retryAfter: retryAfterSeconds(response.headers['retry-after']),
    });
  }
  const answer = target.api === 'ocs' ? ocsData(json) : json;
  if (answer === undefined || !Value.Check(schema, answer)) {
    const problem = new Error(`HTTP ${response.statusCode} without the JSON Deck sends for ${operation}`);
    throw deckTransportError(operation, described, problem, transport.secrets);
  }
  return answer;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A proxy's HTML page, for instance: the status alone tells what happened.
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** REST errors are `{ status, message }`; OCS errors carry it in `ocs.meta.message`. */
function errorMessage(json: unknown, target: Target): string | undefined {
  const source = target.api === 'ocs' ? record(record(record(json)?.ocs)?.meta) : record(json);
  const message = source?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function ocsData(json: unknown): unknown {
  return record(record(json)?.ocs)?.data;
}
