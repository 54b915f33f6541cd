import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMENT_MAX_CHARACTERS,
  createDeckClient,
  type DeckClient,
  reviseReportCard,
  upsertReportCard,
} from '../../src/nextcloud/deck-client.ts';
import { DeckApiError, DeckTransportError } from '../../src/nextcloud/deck-errors.ts';
import { deckFailureDecision } from '../../src/nextcloud/deck-failure.ts';
import { type DeckStandIn, startDeckStandIn } from '../../stand-ins/deck-stand-in.ts';

const USER = 'etm-test';
const PASSWORD = 'Fake-App-Password-0000';
const BOARD = 'ETM Chantiers';
/** Short enough for a test, long enough for a loaded 2-core machine to answer a normal call. */
const HANG_TIMEOUT_MS = 200;

let deck: DeckStandIn;
const clients: DeckClient[] = [];

function newClient(options: { timeoutMs?: number; password?: string; url?: string } = {}): DeckClient {
  const client = createDeckClient({
    url: options.url ?? deck.url,
    user: USER,
    password: options.password ?? PASSWORD,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  deck = await startDeckStandIn({ user: USER, password: PASSWORD });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (client) => client.close()));
  await deck.close();
});

/** The calls that crossed the wire since `from`, as `GET /boards` (REST) or `POST ocs /cards/1/comments`. */
function callsSince(from = 0): string[] {
  return deck.calls.slice(from).map((call) => {
    const ocs = call.path.startsWith('/ocs/');
    const path = call.path.replace(
      /^\/index\.php\/apps\/deck\/api\/v1\.0|^\/ocs\/v2\.php\/apps\/deck\/api\/v1\.0/u,
      '',
    );
    return `${call.method} ${ocs ? 'ocs ' : ''}${path}`;
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Every way an error reaches a log (message, String, JSON, inspect, the causes) is free of the password. */
function expectNoSecretIn(error: unknown): void {
  const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const renderings = [String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
  let current: unknown = error;
  while (current instanceof Error) {
    renderings.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  renderings.push(JSON.stringify(deckFailureDecision(error)));
  for (const text of renderings) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(basic);
  }
}

const card = (marker: string, extra: { description?: string; duedate?: string } = {}) => ({
  boardTitle: BOARD,
  stackTitle: 'SAV',
  marker,
  title: `🚨 Müller — Alerte SAV (${marker})`,
  description: extra.description ?? `**Rapport :** ${marker}`,
  ...(extra.duedate === undefined ? {} : { duedate: extra.duedate }),
});

describe('Deck client: boards and stacks', () => {
  it('creates the missing board and its stacks, with the headers Deck requires', async () => {
    const client = newClient();
    const sav = await client.ensureStack(BOARD, 'SAV');
    const fin = await client.ensureStack(BOARD, 'Fin de Chantier');
    expect(fin.boardId).toBe(sav.boardId);
    expect(deck.store.allBoards().map((board) => board.title)).toEqual([BOARD]);
    expect(deck.store.allStacks(sav.boardId).map((stack) => [stack.id, stack.title, stack.order])).toEqual([
      [sav.stackId, 'SAV', 0],
      [fin.stackId, 'Fin de Chantier', 1],
    ]);
    expect(callsSince()).toEqual([
      'GET /boards',
      'POST /boards',
      'GET /boards/1/stacks',
      'POST /boards/1/stacks',
      'GET /boards/1/stacks',
      'POST /boards/1/stacks',
    ]);
    for (const call of deck.calls) {
      expect(call.headers).toMatchObject({
        authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
        'ocs-apirequest': 'true',
        accept: 'application/json',
      });
    }
  });

  it('reuses the live board and stack of that title, skipping archived, deleted and other boards', async () => {
    deck.store.addBoard({ title: BOARD, archived: true });
    deck.store.addBoard({ title: BOARD, deletedAt: 1_700_000_000 });
    deck.store.addBoard({ title: 'ETM Chantiers 2025' });
    const live = deck.store.addBoard({ title: BOARD });
    deck.store.addBoard({ title: BOARD }); // a younger duplicate: the oldest live board wins
    deck.store.addStack(live.id, { title: 'SAV', deletedAt: 1_700_000_000 });
    const sav = deck.store.addStack(live.id, { title: 'SAV', order: 2 });
    const ids = await newClient().ensureStack(BOARD, 'SAV');
    expect(ids).toEqual({ boardId: live.id, stackId: sav.id });
    expect(callsSince()).toEqual(['GET /boards', `GET /boards/${live.id}/stacks`]);
  });

  it('creates a new board when the only one of that title is archived (Deck refuses writes under it)', async () => {
    const archived = deck.store.addBoard({ title: BOARD, archived: true });
    const { boardId } = await newClient().ensureStack(BOARD, 'SAV');
    expect(boardId).not.toBe(archived.id);
    expect(deck.store.allBoards().map((board) => [board.title, board.archived])).toEqual([
      [BOARD, true],
      [BOARD, false],
    ]);
  });

  it('matches titles after NFC normalisation, exactly otherwise', async () => {
    const board = deck.store.addBoard({ title: BOARD });
    const decomposed = deck.store.addStack(board.id, { title: 'Mate\u0301riel' });
    deck.store.addStack(board.id, { title: 'matériel' });
    const { stackId } = await newClient().ensureStack(BOARD, 'Matériel');
    expect(stackId).toBe(decomposed.id);
  });

  it('caches the ids: a second call for the same board and stack makes no request', async () => {
    const client = newClient();
    const first = await client.ensureStack(BOARD, 'SAV');
    const before = deck.calls.length;
    expect(await client.ensureStack(BOARD, 'SAV')).toEqual(first);
    expect(deck.calls.length).toBe(before);
    await client.ensureStack(BOARD, 'Matériel');
    expect(callsSince(before)).toEqual([
      `GET /boards/${first.boardId}/stacks`,
      `POST /boards/${first.boardId}/stacks`,
    ]);
  });

  it('shares one resolution between concurrent calls instead of creating two boards', async () => {
    const client = newClient();
    const [a, b] = await Promise.all([client.ensureStack(BOARD, 'SAV'), client.ensureStack(BOARD, 'SAV')]);
    expect(a).toEqual(b);
    expect(deck.store.allBoards()).toHaveLength(1);
    expect(deck.store.allStacks()).toHaveLength(1);
  });

  it('does not cache a failed resolution', async () => {
    const client = newClient();
    deck.failNext({ status: 503, method: 'GET', path: '/boards' });
    const error = await rejectionOf(client.ensureStack(BOARD, 'SAV'));
    expect(error).toBeInstanceOf(DeckApiError);
    expect(deckFailureDecision(error)).toMatchObject({ action: 'retry' });
    await expect(client.ensureStack(BOARD, 'SAV')).resolves.toEqual({ boardId: 1, stackId: 1 });
  });
});

describe('Deck client: cards', () => {
  it('creates a card once, and finds it again by its report id instead of creating a second', async () => {
    const client = newClient();
    const first = await upsertReportCard(
      client,
      card('SAV-0042', { duedate: '2026-03-26T14:30:00.000Z', description: 'Fuite' }),
    );
    expect(first.created).toBe(true);
    const second = await upsertReportCard(client, card('SAV-0042'));
    expect(second).toEqual({ ...first, created: false });
    const cards = deck.store.allCards();
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({
      id: first.cardId,
      stackId: first.stackId,
      title: '🚨 Müller — Alerte SAV (SAV-0042)',
      description: 'Fuite',
      duedate: '2026-03-26T14:30:00+00:00',
      type: 'plain',
    });
  });

  it('finds a card moved to another stack, by title or by description, as a whole word only', async () => {
    const board = deck.store.addBoard({ title: BOARD });
    const sav = deck.store.addStack(board.id, { title: 'SAV' });
    const done = deck.store.addStack(board.id, { title: 'Terminé' });
    deck.store.addCard(sav.id, { title: 'SAV-00421 autre rapport' });
    deck.store.addCard(sav.id, { title: 'Renommé', description: 'voir XSAV-0042' });
    const moved = deck.store.addCard(done.id, {
      title: 'Renommé par le bureau',
      description: 'Rapport : SAV-0042.',
    });
    const client = newClient();
    expect(await client.findCard(board.id, 'SAV-0042')).toEqual({ id: moved.id, stackId: done.id });
    expect(await client.findCard(board.id, 'SAV-0043')).toBeUndefined();
  });

  it('revises the description of a card the office moved and edited, keeping all it changed', async () => {
    const board = deck.store.addBoard({ title: BOARD });
    const fin = deck.store.addStack(board.id, { title: 'Fin de Chantier' });
    const invoiced = deck.store.addStack(board.id, { title: 'Facturé' });
    const card = deck.store.addCard(invoiced.id, {
      title: 'Müller — facturé (FIN-0042)',
      description: '**Rapport :** FIN-0042\n\n📸 2 photos — [Ouvrir](https://x)\n\nNote du bureau',
    });
    Object.assign(card, {
      duedate: '2026-04-01T10:00:00+00:00',
      done: '2026-03-30T10:00:00+00:00',
      order: 7,
    });
    const client = newClient();
    const revise = (description: string) => description.replace('2 photos', '4 photos');
    const input = { boardTitle: BOARD, stackTitle: fin.title, marker: 'FIN-0042', revise };
    expect(await reviseReportCard(client, input)).toBe('revised');
    expect(deck.store.allCards()).toHaveLength(1);
    expect(deck.store.allCards()[0]).toMatchObject({
      stackId: invoiced.id,
      title: 'Müller — facturé (FIN-0042)',
      description: '**Rapport :** FIN-0042\n\n📸 4 photos — [Ouvrir](https://x)\n\nNote du bureau',
      duedate: '2026-04-01T10:00:00+00:00',
      done: '2026-03-30T10:00:00+00:00',
      order: 7,
    });
    // The same revision again changes nothing, and writes nothing.
    const before = deck.calls.length;
    expect(await reviseReportCard(client, input)).toBe('unchanged');
    expect(callsSince(before).some((call) => call.startsWith('PUT'))).toBe(false);
    expect(await reviseReportCard(client, { ...input, marker: 'FIN-0043' })).toBe('missing');
  });

  it('prefers a card titled with the id over one whose description quotes it', async () => {
    const board = deck.store.addBoard({ title: BOARD });
    const sav = deck.store.addStack(board.id, { title: 'SAV' });
    deck.store.addCard(sav.id, { title: 'SAV-0043', description: 'Suite de SAV-0042' });
    const own = deck.store.addCard(sav.id, { title: '🚨 Müller — Alerte SAV (SAV-0042)' });
    expect(await newClient().findCard(board.id, 'SAV-0042')).toEqual({ id: own.id, stackId: sav.id });
  });

  it('does not create a second card when the creation timed out after Deck created it', async () => {
    const impatient = newClient({ timeoutMs: HANG_TIMEOUT_MS });
    await impatient.ensureStack(BOARD, 'SAV');
    const createdBehindOurBack = deck.hangNextCardCreation();
    const error = await rejectionOf(upsertReportCard(impatient, card('SAV-0042')));
    expect(error).toBeInstanceOf(DeckTransportError);
    expect((error as DeckTransportError).code).toBe('ETIMEDOUT');
    expect(deckFailureDecision(error)).toMatchObject({ action: 'retry' });
    expectNoSecretIn(error);
    const lost = await createdBehindOurBack;

    const retried = await upsertReportCard(impatient, card('SAV-0042'));
    expect(retried).toMatchObject({ cardId: lost.id, created: false });
    expect(deck.store.allCards()).toHaveLength(1);
  });

  it('resolves the ids again once after a 403 for a board that is no longer ours', async () => {
    const client = newClient();
    const first = await upsertReportCard(client, card('SAV-0001'));
    // The office deleted the board for good (or unshared it): Deck answers 403 for its ids.
    deck.store.allBoards()[0]!.ownerUid = 'someone-else';
    const before = deck.calls.length;
    const second = await upsertReportCard(client, card('SAV-0002'));
    expect(second.boardId).not.toBe(first.boardId);
    expect(second.created).toBe(true);
    expect(callsSince(before)).toEqual([
      `GET /boards/${first.boardId}/stacks`,
      'GET /boards',
      'POST /boards',
      `GET /boards/${second.boardId}/stacks`,
      `POST /boards/${second.boardId}/stacks`,
      `GET /boards/${second.boardId}/stacks`,
      `POST /boards/${second.boardId}/stacks/${second.stackId}/cards`,
    ]);
  });

  it('gives up after one re-resolution when Deck keeps answering 403', async () => {
    const client = newClient();
    await client.ensureStack(BOARD, 'SAV');
    deck.failNext({ status: 403, path: '/stacks', times: 5 });
    const before = deck.calls.length;
    const error = await rejectionOf(upsertReportCard(client, card('SAV-0001')));
    expect(error).toBeInstanceOf(DeckApiError);
    expect(error).toMatchObject({ status: 403, description: 'Injected failure' });
    expect(callsSince(before)).toEqual(['GET /boards/1/stacks', 'GET /boards', 'GET /boards/1/stacks']);
    expect(deckFailureDecision(error)).toMatchObject({ action: 'fail' });
    expectNoSecretIn(error);
  });

  it('moves to a live board once when the cached one was archived by the office', async () => {
    const client = newClient();
    const first = await upsertReportCard(client, card('SAV-0001'));
    deck.store.allBoards()[0]!.archived = true;
    const before = deck.calls.length;
    const second = await upsertReportCard(client, card('SAV-0002'));
    expect(second.boardId).not.toBe(first.boardId);
    expect(callsSince(before)).toEqual([
      `GET /boards/${first.boardId}/stacks`,
      `POST /boards/${first.boardId}/stacks/${first.stackId}/cards`, // 500: the board is archived
      'GET /boards',
      'POST /boards',
      `GET /boards/${second.boardId}/stacks`,
      `POST /boards/${second.boardId}/stacks`,
      `GET /boards/${second.boardId}/stacks`,
      `POST /boards/${second.boardId}/stacks/${second.stackId}/cards`,
    ]);
    expect(deck.calls[before + 1]!.status).toBe(500);
    expect(deck.store.allCards().map((created) => created.title)).toEqual([
      '🚨 Müller — Alerte SAV (SAV-0001)',
      '🚨 Müller — Alerte SAV (SAV-0002)',
    ]);
  });

  it('refuses a marker that would match every card, before asking Deck', async () => {
    await expect(newClient().findCard(1, '  ')).rejects.toThrow(RangeError);
    expect(deck.calls).toEqual([]);
  });
});

describe('Deck client: comments and links', () => {
  it('comments through OCS and cuts the message to 1000 characters', async () => {
    const client = newClient();
    const { cardId } = await upsertReportCard(client, card('SAV-0042'));
    await client.addComment(cardId, '2 photos ajoutées');
    await client.addComment(cardId, `${'é'.repeat(990)}${'🌞'.repeat(20)}`);
    const comments = deck.store.allComments(cardId).map((comment) => comment.message);
    expect(comments[0]).toBe('2 photos ajoutées');
    expect(Array.from(comments[1]!)).toHaveLength(COMMENT_MAX_CHARACTERS);
    expect(comments[1]).toBe(`${'é'.repeat(990)}${'🌞'.repeat(9)}…`);
    const call = deck.calls.at(-1)!;
    expect(callsSince(deck.calls.length - 1)).toEqual([`POST ocs /cards/${cardId}/comments`]);
    expect(call.body).toMatchObject({ parentId: null });
  });

  it('reports an unknown card as a refusal that retrying cannot fix', async () => {
    const error = await rejectionOf(newClient().addComment(999, 'x'));
    expect(error).toMatchObject({ status: 404, description: 'Card not found' });
    expect(deckFailureDecision(error)).toMatchObject({ action: 'fail' });
  });

  it("links to Deck's card route below the configured URL", () => {
    const client = newClient({ url: 'https://cloud.example.test/nextcloud/' });
    expect(client.cardLink(3, 42)).toBe(
      'https://cloud.example.test/nextcloud/index.php/apps/deck/board/3/card/42',
    );
  });
});

describe('Deck client: failures and secrets', () => {
  it('stops on a wrong app password, and says so without the password', async () => {
    const error = await rejectionOf(newClient({ password: 'wrong' }).ensureStack(BOARD, 'SAV'));
    expect(error).toMatchObject({ status: 401 });
    expect(deckFailureDecision(error)).toMatchObject({ action: 'fail' });
    expect(deck.calls).toHaveLength(1);
  });

  it('turns a refused connection into a transport error to retry, without the password', async () => {
    const url = deck.url;
    await deck.close();
    const error = await rejectionOf(newClient({ url }).ensureStack(BOARD, 'SAV'));
    expect(error).toBeInstanceOf(DeckTransportError);
    expect(deckFailureDecision(error)).toMatchObject({ action: 'retry' });
    expectNoSecretIn(error);
    deck = await startDeckStandIn({ user: USER, password: PASSWORD }); // for afterEach
  });

  it('keeps the password out of every refusal', async () => {
    const client = newClient();
    for (const status of [400, 403, 429, 500, 502]) {
      deck.failNext({ status });
      const error = await rejectionOf(client.findCard(1, 'SAV-0001'));
      expect(error).toMatchObject({ status });
      expectNoSecretIn(error);
    }
  });

  it('refuses a URL with credentials in it, without echoing them', () => {
    expect(() =>
      createDeckClient({
        url: `https://${USER}:${PASSWORD}@cloud.example.test`,
        user: USER,
        password: PASSWORD,
      }),
    ).toThrow(/must not carry credentials/u);
    try {
      createDeckClient({ url: `not a url ${PASSWORD}`, user: USER, password: PASSWORD });
    } catch (error) {
      expectNoSecretIn(error);
      return;
    }
    expect.fail('an invalid URL was accepted');
  });
});
