import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DeckStandIn, startDeckStandIn } from './deck-stand-in.ts';

const USER = 'etm-test';
const PASSWORD = 'fake-app-password-not-real';
const NOW = new Date('2026-03-25T14:30:00Z');

let deck: DeckStandIn;
beforeEach(async () => {
  deck = await startDeckStandIn({ user: USER, password: PASSWORD, displayName: 'ETM Test', now: () => NOW });
});
afterEach(async () => deck.close());

const basic = (password = PASSWORD) => `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
const API_HEADERS = { authorization: basic(), 'ocs-apirequest': 'true', 'content-type': 'application/json' };

async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = API_HEADERS,
  signal?: AbortSignal,
) {
  const response = await request(url, {
    method: method as 'GET',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  const text = await response.body.text();
  const json =
    text !== '' && String(response.headers['content-type']).includes('json') ? JSON.parse(text) : undefined;
  return { status: response.statusCode, headers: response.headers, text, json };
}

const api = (method: string, path: string, body?: unknown) => call(method, `${deck.apiUrl}${path}`, body);

/** The board, stacks and one card the service will typically meet. */
function seedBoard() {
  const board = deck.store.addBoard({ title: 'ETM Chantiers' });
  const fin = deck.store.addStack(board.id, { title: 'Fin de Chantier', order: 1 });
  const sav = deck.store.addStack(board.id, { title: 'SAV', order: 2 });
  return { board, fin, sav };
}

describe('Deck stand-in: access', () => {
  it('answers 401 without the right Basic credentials', async () => {
    const response = await call('GET', `${deck.apiUrl}/boards`, undefined, {
      ...API_HEADERS,
      authorization: basic('wrong'),
    });
    expect(response.status).toBe(401);
  });

  it('requires OCS-APIRequest: true', async () => {
    const response = await call('GET', `${deck.apiUrl}/boards`, undefined, { authorization: basic() });
    expect(response.status).toBe(412);
  });

  it("lists only the user's boards, and answers 403 for unknown or foreign ids", async () => {
    const { board, fin } = seedBoard();
    const foreign = deck.store.addBoard({ title: 'Private', owner: 'someone-else' });
    const foreignStack = deck.store.addStack(foreign.id, { title: 'Todo' });
    const boards = await api('GET', '/boards');
    expect(boards.json.map((listed: { title: string }) => listed.title)).toEqual(['ETM Chantiers']);

    expect((await api('GET', '/boards/999')).json).toEqual({ status: 403, message: 'Permission denied' });
    expect((await api('GET', `/boards/${foreign.id}`)).status).toBe(403);
    expect((await api('GET', `/boards/${foreign.id}/stacks`)).status).toBe(403);
    expect((await api('POST', `/boards/${board.id}/stacks/999/cards`, { title: 'x' })).status).toBe(403);
    // A stack of another board is as unknown as a missing one.
    expect(
      (await api('POST', `/boards/${board.id}/stacks/${foreignStack.id}/cards`, { title: 'x' })).status,
    ).toBe(403);
    expect((await api('GET', `/boards/${board.id}/stacks/${fin.id}/cards/999`)).status).toBe(403);
    expect(deck.store.allCards()).toEqual([]);
  });

  it('answers 404 for a route Deck does not have', async () => {
    const { board, fin } = seedBoard();
    expect((await api('GET', `/boards/${board.id}/stacks/${fin.id}/cards`)).status).toBe(404);
  });
});

describe('Deck stand-in: boards and stacks', () => {
  it('creates a board with the four default labels, and stacks that need an order', async () => {
    const board = await api('POST', '/boards', { title: 'ETM Chantiers', color: '0082c9' });
    expect(board.status).toBe(200);
    expect(board.json.labels.map((label: { title: string }) => label.title)).toEqual([
      'Finished',
      'To review',
      'Action needed',
      'Later',
    ]);
    expect(board.json).toMatchObject({ archived: false, deletedAt: 0, owner: { uid: USER } });
    expect((await api('POST', `/boards/${board.json.id}/stacks`, { title: 'SAV' })).status).toBe(400);
    const stack = await api('POST', `/boards/${board.json.id}/stacks`, { title: 'SAV', order: 2 });
    expect(stack.json).toMatchObject({ title: 'SAV', boardId: board.json.id, order: 2 });
    expect((await api('POST', '/boards', { title: 'x'.repeat(101), color: 'ff0000' })).status).toBe(400);
  });

  it('embeds the live cards of each stack in GET stacks, ordered, and omits `cards` when there are none', async () => {
    const { board, fin, sav } = seedBoard();
    deck.store.addCard(fin.id, { title: 'second', order: 5 });
    deck.store.addCard(fin.id, { title: 'first', order: 1 });
    deck.store.addCard(fin.id, { title: 'archived', archived: true });
    const stacks = await api('GET', `/boards/${board.id}/stacks`);
    expect(stacks.json.map((stack: { title: string }) => stack.title)).toEqual(['Fin de Chantier', 'SAV']);
    expect(stacks.json[0].cards.map((card: { title: string }) => card.title)).toEqual(['first', 'second']);
    expect(stacks.json[1]).not.toHaveProperty('cards');
    expect(stacks.json[0].cards[0].owner).toEqual({ primaryKey: USER, uid: USER, displayname: 'ETM Test' });
    expect(sav.id).toBe(stacks.json[1].id);
  });

  it('sends ETags, answers 304 to a matching If-None-Match, and changes the board ETag when a card changes', async () => {
    const { board, fin } = seedBoard();
    const first = await api('GET', `/boards/${board.id}`);
    const etag = String(first.headers.etag);
    expect(etag).toBe(`"${first.json.ETag}"`);
    const again = await call('GET', `${deck.apiUrl}/boards/${board.id}`, undefined, {
      ...API_HEADERS,
      'if-none-match': etag,
    });
    expect(again.status).toBe(304);
    await api('POST', `/boards/${board.id}/stacks/${fin.id}/cards`, { title: 'new' });
    const changed = await call('GET', `${deck.apiUrl}/boards/${board.id}`, undefined, {
      ...API_HEADERS,
      'if-none-match': etag,
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });
});

describe('Deck stand-in: cards', () => {
  it("creates a card with Deck's defaults and the injected clock", async () => {
    const { board, fin } = seedBoard();
    const created = await api('POST', `/boards/${board.id}/stacks/${fin.id}/cards`, {
      title: 'Müller — SAV-0042',
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      title: 'Müller — SAV-0042',
      type: 'plain',
      order: 999,
      description: '',
      duedate: null,
      stackId: fin.id,
      owner: USER,
      archived: false,
      createdAt: NOW.getTime() / 1000,
    });
    const dated = await api('POST', `/boards/${board.id}/stacks/${fin.id}/cards`, {
      title: 'dated',
      duedate: '2026-03-26T09:00:00.000Z',
    });
    expect(dated.json.duedate).toBe('2026-03-26T09:00:00+00:00');
  });

  it('refuses a card without a title or with a title over 255 characters (400)', async () => {
    const { board, fin } = seedBoard();
    const path = `/boards/${board.id}/stacks/${fin.id}/cards`;
    expect((await api('POST', path, { description: 'no title' })).json).toEqual({
      status: 400,
      message: 'title must be provided and must be not empty',
    });
    expect((await api('POST', path, { title: 'x'.repeat(256) })).status).toBe(400);
    expect((await api('POST', path, { title: 'x'.repeat(255) })).status).toBe(200);
  });

  it('answers 500 to writes on an archived board, and accepts them again once unarchived', async () => {
    const board = deck.store.addBoard({ title: 'ETM Chantiers', archived: true });
    const stack = deck.store.addStack(board.id, { title: 'SAV' });
    const card = deck.store.addCard(stack.id, { title: 'old' });
    const create = await api('POST', `/boards/${board.id}/stacks/${stack.id}/cards`, { title: 'new' });
    expect(create.json).toEqual({ status: 500, message: 'Operation not allowed. This board is archived.' });
    const update = await api('PUT', `/boards/${board.id}/stacks/${stack.id}/cards/${card.id}`, {
      title: 'x',
      type: 'plain',
      owner: USER,
    });
    expect(update.status).toBe(500);
    expect((await api('POST', `/boards/${board.id}/stacks`, { title: 'x', order: 1 })).status).toBe(500);
    expect((await api('GET', `/boards/${board.id}/stacks`)).status).toBe(200);
    expect(deck.store.allCards().map((existing) => existing.title)).toEqual(['old']);

    await api('PUT', `/boards/${board.id}`, { title: 'ETM Chantiers', color: '0082c9', archived: false });
    expect((await api('POST', `/boards/${board.id}/stacks/${stack.id}/cards`, { title: 'new' })).status).toBe(
      200,
    );
  });

  it('replaces the whole card on PUT: fields not sent are reset', async () => {
    const { board, fin, sav } = seedBoard();
    const card = deck.store.addCard(fin.id, {
      title: 'SAV-0042',
      description: 'report id SAV-0042',
      order: 3,
      duedate: '2026-03-26T09:00:00+00:00',
    });
    const put = await api('PUT', `/boards/${board.id}/stacks/${fin.id}/cards/${card.id}`, {
      title: 'SAV-0042 (renamed)',
      type: 'plain',
      owner: USER,
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ title: 'SAV-0042 (renamed)', description: '', order: 0, duedate: null });
    const missingOwner = await api('PUT', `/boards/${board.id}/stacks/${fin.id}/cards/${card.id}`, {
      title: 'x',
      type: 'plain',
    });
    expect(missingOwner.status).toBe(400);
    // The stack in the URL is where the card goes.
    await api('PUT', `/boards/${board.id}/stacks/${sav.id}/cards/${card.id}`, {
      title: 'moved',
      type: 'plain',
      owner: USER,
    });
    expect(deck.store.allCards(sav.id).map((moved) => moved.title)).toEqual(['moved']);
  });

  it('archives cards out of the listing, and answers 500 to re-archiving an archived card', async () => {
    const { board, fin } = seedBoard();
    const card = deck.store.addCard(fin.id, { title: 'to archive' });
    const path = `/boards/${board.id}/stacks/${fin.id}/cards/${card.id}`;
    expect((await api('PUT', `${path}/archive`)).json.archived).toBe(true);
    expect((await api('GET', `/boards/${board.id}/stacks/${fin.id}`)).json).not.toHaveProperty('cards');
    const again = await api('PUT', path, { title: 'x', type: 'plain', owner: USER, archived: true });
    expect(again.json).toEqual({ status: 500, message: 'Operation not allowed. This card is archived.' });
  });

  it('deletes softly: the card leaves the stack but still reads with deletedAt', async () => {
    const { board, fin } = seedBoard();
    const card = deck.store.addCard(fin.id, { title: 'gone' });
    const path = `/boards/${board.id}/stacks/${fin.id}/cards/${card.id}`;
    expect((await api('DELETE', path)).status).toBe(200);
    expect((await api('GET', `/boards/${board.id}/stacks`)).json[0]).not.toHaveProperty('cards');
    expect((await api('GET', path)).json.deletedAt).toBe(NOW.getTime() / 1000);
  });

  it('assigns labels of the same board only (another board: 500 "Label does not exist.")', async () => {
    const { board, fin } = seedBoard();
    const other = deck.store.addBoard({ title: 'Other' });
    const card = deck.store.addCard(fin.id, { title: 'labelled' });
    const path = `/boards/${board.id}/stacks/${fin.id}/cards/${card.id}`;
    const label = board.labels[0]!;
    expect((await api('PUT', `${path}/assignLabel`, { labelId: label.id })).json.labels).toEqual([
      { title: label.title, color: label.color, boardId: board.id, cardId: card.id, id: label.id },
    ]);
    expect((await api('PUT', `${path}/assignLabel`, { labelId: other.labels[0]!.id })).json).toEqual({
      status: 500,
      message: 'Label does not exist.',
    });
    expect((await api('PUT', `${path}/removeLabel`, { labelId: label.id })).json.labels).toEqual([]);
  });
});

describe('Deck stand-in: scripted failures and call recording', () => {
  it('answers the next matching request with an injected 5xx, creating nothing', async () => {
    const { board, fin } = seedBoard();
    deck.failNext({ status: 503, method: 'POST', path: '/cards' });
    const path = `/boards/${board.id}/stacks/${fin.id}/cards`;
    expect((await api('GET', `/boards/${board.id}/stacks`)).status).toBe(200);
    expect((await api('POST', path, { title: 'first try' })).status).toBe(503);
    expect(deck.store.allCards()).toEqual([]);
    expect((await api('POST', path, { title: 'second try' })).status).toBe(200);
  });

  it('can create the next card and never answer, so the card exists although the client saw no response', async () => {
    const { board, fin } = seedBoard();
    const hung = deck.hangNextCardCreation();
    const abort = new AbortController();
    const pending = call(
      'POST',
      `${deck.apiUrl}/boards/${board.id}/stacks/${fin.id}/cards`,
      { title: 'SAV-0042' },
      API_HEADERS,
      abort.signal,
    );
    const card = await hung;
    abort.abort(); // the client's time-out, without waiting for one
    await expect(pending).rejects.toThrow();
    expect(card).toMatchObject({ title: 'SAV-0042', stackId: fin.id });
    const stacks = await api('GET', `/boards/${board.id}/stacks`);
    expect(stacks.json[0].cards.map((listed: { id: number }) => listed.id)).toEqual([card.id]);
    expect(deck.calls.find((seen) => seen.method === 'POST')?.status).toBeUndefined();
    // Only the next creation hangs.
    expect((await api('POST', `/boards/${board.id}/stacks/${fin.id}/cards`, { title: 'next' })).status).toBe(
      200,
    );
  });

  it('records each call with its body, headers and status', async () => {
    const { board, fin } = seedBoard();
    await api('POST', `/boards/${board.id}/stacks/${fin.id}/cards`, { title: 'recorded', type: 'plain' });
    expect(deck.calls).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: `/index.php/apps/deck/api/v1.0/boards/${board.id}/stacks/${fin.id}/cards`,
        body: { title: 'recorded', type: 'plain' },
        status: 200,
        headers: expect.objectContaining({ 'ocs-apirequest': 'true' }),
      }),
    ]);
  });
});

describe('Deck stand-in: OCS comments', () => {
  const OCS_HEADERS = { ...API_HEADERS, accept: 'application/json' };
  const comments = (cardId: number) => `${deck.ocsUrl}/cards/${cardId}/comments`;

  it('adds a comment wrapped in the OCS envelope, with string ids as the docs show', async () => {
    const { fin } = seedBoard();
    const card = deck.store.addCard(fin.id, { title: 'commented' });
    const posted = await call(
      'POST',
      comments(card.id),
      { message: 'Photos archivées', parentId: null },
      OCS_HEADERS,
    );
    expect(posted.status).toBe(200);
    expect(posted.json.ocs.meta).toEqual({ status: 'ok', statuscode: 200, message: 'OK' });
    expect(posted.json.ocs.data).toMatchObject({
      id: '1',
      objectId: String(card.id),
      message: 'Photos archivées',
      actorId: USER,
      actorType: 'users',
      creationDateTime: '2026-03-25T14:30:00+00:00',
      mentions: [],
    });
    const listed = await call('GET', comments(card.id), undefined, OCS_HEADERS);
    expect(listed.json.ocs.data).toEqual([expect.objectContaining({ id: 1, objectId: card.id })]);
  });

  it('refuses a message over 1000 characters (400) and an unknown card (404)', async () => {
    const { fin } = seedBoard();
    const card = deck.store.addCard(fin.id, { title: 'commented' });
    const long = await call('POST', comments(card.id), { message: 'x'.repeat(1001) }, OCS_HEADERS);
    expect(long.status).toBe(400);
    expect(long.json.ocs.meta).toMatchObject({ status: 'failure', statuscode: 400 });
    expect((await call('POST', comments(card.id), { message: 'x'.repeat(1000) }, OCS_HEADERS)).status).toBe(
      200,
    );
    expect((await call('POST', comments(999), { message: 'x' }, OCS_HEADERS)).status).toBe(404);
    expect(deck.store.allComments()).toHaveLength(1);
  });

  it('answers XML unless JSON is asked for, as OCS does', async () => {
    const { fin } = seedBoard();
    const card = deck.store.addCard(fin.id, { title: 'commented' });
    const xml = await call('POST', comments(card.id), { message: 'bonjour' }, API_HEADERS);
    expect(xml.headers['content-type']).toContain('text/xml');
    expect(xml.text).toContain('<message>bonjour</message>');
  });
});
