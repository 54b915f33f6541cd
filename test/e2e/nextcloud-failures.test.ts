import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import {
  davFiles,
  fakeJpeg,
  GROUPS,
  NEXTCLOUD_PASSWORD,
  NEXTCLOUD_USER,
  reportSuite,
  postAlbum,
} from '../support/report-harness.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import {
  buttonUpdate,
  freshUpdateId,
  PHOTO_DATE,
  photoUpdate,
  PRIVATE_CHAT,
  TECHNICIAN,
  textUpdate,
} from '../support/updates.ts';

/**
 * Reports against a WebDAV server, a Deck and a Telegram that fail the way the real Nextcloud 32,
 * Deck 1.16.7 and Bot API do: nothing lost, nothing doubled, the office and the technician told.
 */

const t = reportSuite();

const deadJobs = async () =>
  t.h.db.selectFrom('jobs').select(['type', 'last_error']).where('state', '=', 'dead').execute();

const reportStatuses = async () =>
  Object.fromEntries(
    (await t.h.db.selectFrom('reports').select(['public_id', 'status']).execute()).map((r) => [
      r.public_id,
      r.status,
    ]),
  );

const filesUnder = (part: string) =>
  [...davFiles(t.remotes.webdav.root).entries()].filter(([path]) => path.includes(part));

describe('photos into a new folder on a Nextcloud that races', () => {
  it('an album into a new folder loses no photo when every folder creation loses its race', async () => {
    await t.remotes.webdav.control({ folderRace: true });
    await t.h.post(buttonUpdate('fin', 1));
    const photos = t.addPhotos(5, 200);
    await postAlbum(t.h, photos, { id: 'race', caption: 'Schmitt / pose', firstMessageId: 2001 });
    t.h.clock.advance(3_000);
    await t.h.drain();

    const stored = filesUnder('_Schmitt/').map(([, bytes]) => bytes);
    expect(stored).toHaveLength(5);
    expect(stored).toEqual(expect.arrayContaining(photos.map((photo) => photo.bytes)));
    expect(await deadJobs()).toEqual([]);
    const puts = (await t.remotes.webdav.requests()).filter((entry) => entry.method === 'PUT');
    expect(puts.some((entry) => entry.headers['x-nc-webdav-auto-mkcol'] !== undefined)).toBe(false);
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Schmitt'))).toContain(
      '5 photos archivées',
    );
  });
});

describe('a retry after an upload whose outcome was not recorded', () => {
  it('finds its own photo under the name it chose, by checksum, and never files it twice', async () => {
    const folder = 'Chantiers/20260325_Vogel/30_Photos_Chantier';
    const [ours] = t.addPhotos(1, 211);
    // Someone else's photo of the very same size: "same size means ours" would lose ours.
    const theirs = Buffer.concat([fakeJpeg(0).subarray(0, 4), Buffer.alloc(ours!.bytes.length - 4, 0x11)]);
    await putRaw(`${folder}/photo_01_20260325_153012.jpg`, theirs);
    // The upload under the next free name succeeds, then its check fails: the job retries.
    await t.remotes.webdav.control({ failNext: { status: 503, method: 'PROPFIND', path: 'photo_02' } });

    await t.h.post(buttonUpdate('fin', 2));
    await t.h.post(photoUpdate(ours!.fileId, ours!.uniqueId, 2101, { caption: 'Vogel / pose' }));
    await t.h.drain();

    const files = filesUnder('_Vogel/');
    expect(files.map(([path]) => path.slice(path.lastIndexOf('/') + 1)).sort()).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_153012.jpg',
    ]);
    expect(files.find(([path]) => path.includes('photo_02'))![1]).toEqual(ours!.bytes);
    const putsOfOurs = (await t.remotes.webdav.requests()).filter(
      (entry) => entry.method === 'PUT' && entry.path.includes('photo_02'),
    );
    expect(putsOfOurs.map((entry) => entry.status)).toEqual([201, 412]);
    expect(t.textsTo(GROUPS.chantier).find((text) => text.includes('Vogel'))).toContain('1 photo archivée');
  });
});

async function putRaw(path: string, bytes: Buffer): Promise<void> {
  const response = await fetch(
    new URL(path.split('/').map(encodeURIComponent).join('/'), t.remotes.webdav.davUrl),
    {
      method: 'PUT',
      body: bytes,
      headers: {
        authorization: `Basic ${Buffer.from('etm-bot:fake-app-password-not-real').toString('base64')}`,
        'x-nc-webdav-auto-mkcol': '1',
      },
    },
  );
  expect(response.status).toBe(201);
}

describe('one clock for a report', () => {
  it('a SAV that arrives two hours late is dated by its message everywhere: folder, photo, card, Markdown', async () => {
    t.h.clock.advance(2 * 60 * 60_000); // received at 16:30 UTC, sent at 14:30:12 UTC (15:30 in Paris)
    await t.h.post(buttonUpdate('sav', 3));
    const [photo] = t.addPhotos(1, 220);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 2201, { caption: 'Horn / fuite' }));
    await t.h.drain();

    const files = filesUnder('2026-03-25_Horn/');
    const names = files.map(([path]) => path.slice(path.lastIndexOf('/') + 1)).sort();
    expect(names).toEqual(['SAV-0001.md', 'photo_01_20260325_153012.jpg']);
    const markdown = files.find(([path]) => path.endsWith('.md'))![1].toString('utf8');
    expect(markdown).toContain('- Date : 25/03/2026 15:30');
    const [card] = t.remotes.deck.store.allCards().filter((each) => each.description.includes('SAV-0001'));
    expect(card!.description).toContain('**Date :** 25/03/2026 à 15:30');
  });
});

describe('the office reads the problems too', () => {
  it('the group message carries the same ⚠️ lines as the technician’s confirmation', async () => {
    await t.h.post(buttonUpdate('fin', 4));
    const [photo] = t.addPhotos(1, 230);
    const pdf = t.remotes.telegram.addFile(Buffer.from('%PDF-1.7 not a picture'), {
      mimeType: 'application/pdf',
    });
    await t.h.post(
      photoUpdate(photo!.fileId, photo!.uniqueId, 2301, { album: 'pb', caption: 'Jung / pose' }),
    );
    await t.h.post(documentUpdate(pdf, 2302, 'plan', { album: 'pb' }));
    t.h.clock.advance(3_000);
    await t.h.drain();

    const line = '« plan » n’est pas une image : non archivé.';
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Jung'))).toContain(line);
    expect(t.textsTo(GROUPS.chantier).find((text) => text.includes('Jung'))).toContain(`⚠️ ${line}`);
  });
});

/** A file sent "as a file": a picture (image/jpeg) or anything else. */
function documentUpdate(
  file: { file_id: string; file_unique_id: string },
  messageId: number,
  name: string,
  extra: { album?: string; caption?: string; mimeType?: string } = {},
): Update {
  return {
    update_id: freshUpdateId(),
    message: {
      message_id: messageId,
      date: PHOTO_DATE,
      chat: PRIVATE_CHAT,
      from: TECHNICIAN,
      ...(extra.album ? { media_group_id: extra.album } : {}),
      ...(extra.caption ? { caption: extra.caption } : {}),
      document: { ...file, file_name: name, mime_type: extra.mimeType ?? 'application/octet-stream' },
    },
  };
}

describe('Nextcloud refuses the app password', () => {
  const NEW_PASSWORD = 'fake-new-app-password-not-real';

  /** Every request Nextcloud answered 401, WebDAV and Deck together, since the test began. */
  const refusedRequests = async (deckCallsBefore: number) =>
    (await t.remotes.webdav.requests()).filter((entry) => entry.status === 401).length +
    t.remotes.deck.calls.slice(deckCallsBefore).filter((call) => call.status === 401).length;

  async function revokeMidAlbum(names = { fin: 'Wagner', sav: 'Becker' }) {
    await t.h.post(buttonUpdate('fin', 5));
    const album = t.addPhotos(4, 240);
    await postAlbum(t.h, album, { id: 'revoked', caption: `${names.fin} / pose`, firstMessageId: 2401 });
    // The third photo meets a hiccup and waits for its retry; the password is revoked meanwhile.
    await t.remotes.webdav.control({ failNext: { status: 503, method: 'PUT', path: 'photo_03' } });
    t.h.clock.advance(3_000);
    await t.h.background.worker.runOnce();
    await t.remotes.webdav.control({ password: NEW_PASSWORD });
    t.remotes.deck.setPassword(NEW_PASSWORD);
    await t.h.post(buttonUpdate('sav', 6));
    const [sav] = t.addPhotos(1, 250);
    await t.h.post(photoUpdate(sav!.fileId, sav!.uniqueId, 2501, { caption: `${names.sav} / fuite` }));
    // Nextcloud jobs wait while the breaker is open: run a few simulated minutes, not "until done".
    for (let second = 0; second < 180; second++) {
      await t.h.background.worker.runOnce();
      t.h.clock.advance(1_000);
    }
    return { album, sav: sav! };
  }

  afterEach(() => {
    t.remotes.deck.setPassword(NEXTCLOUD_PASSWORD);
  });

  it('stops every Nextcloud call at the first 401, tells the office once, and delivers everything once with the new password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etm-breaker-'));
    // Its own board: report ids start again at 0001 with every database, the Deck stays.
    const database = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, DECK_BOARD: 'Revoked password' };
    await t.restart(database);
    const deckCallsBefore = t.remotes.deck.calls.length;
    const { album, sav } = await revokeMidAlbum();

    expect(await refusedRequests(deckCallsBefore)).toBeLessThanOrEqual(3);
    expect(await t.h.readiness()).toMatchObject({
      status: 200,
      body: { status: 'ok', checks: { nextcloud: 'unauthorized' } },
    });
    const alerts = t
      .textsTo(GROUPS.chantier)
      .filter((text) => text.includes('refuse le mot de passe d’application'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('NEXTCLOUD_PASSWORD');
    const onHold = 'Archivage Nextcloud en attente';
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Wagner'))).toContain(
      onHold,
    );
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ SAV-0001 — Becker'))).toContain(
      onHold,
    );
    expect(t.textsTo(GROUPS.chantier).find((text) => text.includes('Wagner'))).toContain(onHold);
    expect(t.textsTo(GROUPS.sav).find((text) => text.includes('Becker'))).toContain(onHold);
    expect(await deadJobs()).toEqual([]);

    // The office puts a new app password in the configuration: a new process, no admin call.
    await t.restart({ ...database, NEXTCLOUD_PASSWORD: NEW_PASSWORD });
    await t.h.drain();

    const wagner = filesUnder('_Wagner/').map(([, bytes]) => bytes);
    expect(wagner).toHaveLength(4);
    expect(wagner).toEqual(expect.arrayContaining(album.map((photo) => photo.bytes)));
    expect(
      filesUnder('_Becker/')
        .map(([path]) => path.slice(path.lastIndexOf('/') + 1))
        .sort(),
    ).toEqual(['SAV-0001.md', 'photo_01_20260325_153012.jpg']);
    expect(filesUnder('_Becker/').find(([path]) => path.endsWith('.jpg'))![1]).toEqual(sav.bytes);
    const cards = t.remotes.deck.store.allCards();
    expect(
      cards.filter((card) => card.description.includes('FIN-0001') && card.title.includes('Wagner')),
    ).toHaveLength(1);
    expect(
      cards.filter((card) => card.description.includes('SAV-0001') && card.title.includes('Becker')),
    ).toHaveLength(1);
    // Told once it waits, and once how it ended: one line each to the office and the technician.
    expect(t.textsTo(GROUPS.chantier).filter((text) => text.includes('Wagner'))).toEqual([
      expect.stringContaining(onHold),
      '📁 FIN-0001 : 4 photos archivées → Chantiers/20260325_Wagner/30_Photos_Chantier/',
    ]);
    expect(t.textsTo(TECHNICIAN.id).filter((text) => text.startsWith('✅ FIN-0001 — Wagner'))).toHaveLength(
      1,
    );
    expect(
      t.textsTo(TECHNICIAN.id).filter((text) => text.startsWith('📁 FIN-0001 : 4 photos archivées')),
    ).toHaveLength(1);
    expect(await reportStatuses()).toEqual({ 'FIN-0001': 'done', 'SAV-0001': 'done' });
    expect(await refusedRequests(deckCallsBefore)).toBeLessThanOrEqual(3);
    expect(await t.h.readiness()).toMatchObject({ body: { checks: { nextcloud: 'ok' } } });
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes on POST /admin/nextcloud/resume when the same password works again', async () => {
    await t.restart({ ADMIN_TOKEN, DECK_BOARD: 'Password back' });
    const deckCallsBefore = t.remotes.deck.calls.length;
    await revokeMidAlbum({ fin: 'Arnold', sav: 'Seidel' });
    expect(await refusedRequests(deckCallsBefore)).toBeLessThanOrEqual(3);

    await t.remotes.webdav.control({ password: null });
    t.remotes.deck.setPassword(NEXTCLOUD_PASSWORD);
    const resume = { method: 'POST' as const, url: '/admin/nextcloud/resume' };
    expect(await t.h.inject(resume)).toMatchObject({ status: 401 });
    expect(await t.h.inject({ ...resume, headers: ADMIN_AUTH })).toEqual({
      status: 200,
      body: { resumed: true },
    });
    t.h.clock.advance(60_000);
    await t.h.drain();

    expect(filesUnder('_Arnold/')).toHaveLength(4);
    expect(filesUnder('_Seidel/')).toHaveLength(2);
    expect(await deadJobs()).toEqual([]);
    expect(await t.h.inject({ ...resume, headers: ADMIN_AUTH })).toEqual({
      status: 200,
      body: { resumed: false },
    });
  });
});

describe('Deck boards the service does not own, and boards it creates', () => {
  it('a board shared without "manage" and missing its stack: the office is told exactly that, the rest goes on', async () => {
    t.remotes.deck.store.addBoard({
      title: 'Bureau sans gérer',
      owner: 'office-admin',
      acl: [
        {
          type: 0,
          participant: NEXTCLOUD_USER,
          permissionEdit: true,
          permissionShare: false,
          permissionManage: false,
        },
      ],
    });
    await t.restart({ DECK_BOARD: 'Bureau sans gérer' });
    await t.h.post(buttonUpdate('fin', 7));
    const [photo] = t.addPhotos(1, 260);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 2601, { caption: 'Keller / pose' }));
    await t.h.drain();

    const [dead] = await deadJobs();
    expect(dead).toMatchObject({ type: 'report.deck-card' });
    expect(dead!.last_error).toContain('shared with the service without the "manage" right');
    expect(dead!.last_error).toContain('create that stack by hand');
    const line = 'le tableau est partagé avec le service sans le droit « gérer »';
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Keller'))).toContain(line);
    expect(t.textsTo(GROUPS.chantier).find((text) => text.includes('Keller'))).toContain(line);
    expect(filesUnder('_Keller/')).toHaveLength(1);
  });

  it('a board the service creates is shared with DECK_SHARE_GROUP, once, with edit rights only', async () => {
    await t.restart({ DECK_BOARD: 'Créé par le service', DECK_SHARE_GROUP: 'bureau' });
    for (const [round, name] of ['Lorenz', 'Hahn'].entries()) {
      await t.h.post(buttonUpdate('materiel', 70 + round));
      await t.h.post(textUpdate(`${name} / - vis inox`));
      await t.h.drain();
    }
    const boards = t.remotes.deck.store.allBoards().filter((board) => board.title === 'Créé par le service');
    expect(boards).toHaveLength(1);
    expect(boards[0]!.acl).toEqual([
      {
        id: expect.any(Number),
        type: 1,
        participant: 'bureau',
        permissionEdit: true,
        permissionShare: false,
        permissionManage: false,
      },
    ]);
    expect(await deadJobs()).toEqual([]);
  });
});

describe('documents stay documents', () => {
  it('a SAV picture sent "as a file" reaches the SAV group with sendDocument, and is archived', async () => {
    await t.h.post(buttonUpdate('sav', 8));
    const file = t.remotes.telegram.addFile(fakeJpeg(270), { mimeType: 'image/jpeg', kind: 'document' });
    await t.h.post(
      documentUpdate(file, 2701, 'IMG_0042.jpg', {
        caption: 'Ludwig / chaudière en sécurité',
        mimeType: 'image/jpeg',
      }),
    );
    await t.h.drain();

    const toGroup = t.remotes.telegram.calls.filter(
      (call) =>
        Number(call.params.chat_id) === GROUPS.sav &&
        JSON.stringify(call.params.caption ?? '').includes('Ludwig'),
    );
    expect(toGroup.map((call) => call.method)).toEqual(['sendDocument']);
    expect(toGroup[0]!.params.document).toBe(file.file_id);
    expect(await deadJobs()).toEqual([]);
    expect(t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ SAV-0001 — Ludwig'))).toContain(
      '📣 ETM-SAV prévenu.',
    );
    expect(
      filesUnder('_Ludwig/')
        .map(([path]) => path.slice(path.lastIndexOf('/') + 1))
        .sort(),
    ).toEqual(['SAV-0001.md', 'photo_01_20260325_153012.jpg']);
  });

  it('photos and documents of one SAV go as two albums, each of its own kind', async () => {
    await t.h.post(buttonUpdate('sav', 9));
    const photos = t.addPhotos(2, 280);
    const documents = [282, 283].map((seed) =>
      t.remotes.telegram.addFile(fakeJpeg(seed), { mimeType: 'image/jpeg', kind: 'document' }),
    );
    await t.h.post(
      photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 2801, { album: 'mix', caption: 'Krause / fuite' }),
    );
    await t.h.post(photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 2802, { album: 'mix' }));
    for (const [index, file] of documents.entries()) {
      await t.h.post(
        documentUpdate(file, 2803 + index, `IMG_${index}.jpg`, { album: 'mix', mimeType: 'image/jpeg' }),
      );
    }
    t.h.clock.advance(3_000);
    await t.h.drain();

    const albums = t.remotes.telegram
      .callsTo('sendMediaGroup')
      .filter((call) => Number(call.params.chat_id) === GROUPS.sav);
    const kinds = albums
      .slice(-2)
      .map((call) => (call.params.media as { type: string }[]).map((item) => item.type));
    expect(kinds).toEqual([
      ['photo', 'photo'],
      ['document', 'document'],
    ]);
    expect(await deadJobs()).toEqual([]);
  });

  it('says "prévenu" only when the group message was taken', async () => {
    await t.h.post(buttonUpdate('materiel', 10));
    await t.h.drain();
    await t.h.post(textUpdate('Brandt / - joint fibre'));
    // The next message out is the one to the Magasinier group: Telegram refuses it for good.
    t.remotes.telegram.failNext('sendMessage', { kind: 'chatNotFound' });
    await t.h.drain();
    expect(
      t.remotes.telegram.calls.filter((call) => call.method === 'sendMessage').at(-2)?.params.chat_id,
    ).toBe(GROUPS.magasin);
    const confirmation = t.textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ MAT-0001 — Brandt'))!;
    expect(confirmation).not.toContain('prévenu.');
    expect(confirmation).toContain('Le message au groupe ETM-Magasinier n’a pas pu être envoyé');
  });
});
