import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addTelegramPhotos,
  davFiles,
  fakeJpeg,
  GROUPS,
  type Remotes,
  type ReportHarness,
  startHarness,
  startRemotes,
  textsToChat,
} from '../support/report-harness.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import {
  buttonUpdate,
  freshUpdateId,
  PHOTO_DATE,
  photoUpdate,
  PRIVATE_CHAT,
  TECHNICIAN,
} from '../support/updates.ts';

/**
 * Reports against a WebDAV server, a Deck and a Telegram that fail the way the real Nextcloud 32,
 * Deck 1.16.7 and Bot API do: nothing lost, nothing doubled, the office and the technician told.
 */

let remotes: Remotes;
let h: ReportHarness;
beforeAll(async () => {
  remotes = await startRemotes();
});
afterAll(async () => remotes.close());
beforeEach(async () => {
  await remotes.webdav.control({ reset: true });
  h = await startHarness(remotes);
});
afterEach(async () => h.close());

const addPhotos = (count: number, seed: number) => addTelegramPhotos(remotes.telegram, count, seed);

const textsTo = (chatId: number) => textsToChat(remotes.telegram, chatId);

const deadJobs = async () =>
  h.db.selectFrom('jobs').select(['type', 'last_error']).where('state', '=', 'dead').execute();

const filesUnder = (part: string) =>
  [...davFiles(remotes.webdav.root).entries()].filter(([path]) => path.includes(part));

describe('photos into a new folder on a Nextcloud that races', () => {
  it('an album into a new folder loses no photo when every folder creation loses its race', async () => {
    await remotes.webdav.control({ folderRace: true });
    await h.post(buttonUpdate('fin', 1));
    const photos = addPhotos(5, 200);
    for (const [index, photo] of photos.entries()) {
      await h.post(
        photoUpdate(photo.fileId, photo.uniqueId, 2001 + index, {
          album: 'race',
          ...(index === 0 ? { caption: 'Schmitt / pose' } : {}),
        }),
      );
    }
    h.clock.advance(3_000);
    await h.drain();

    const stored = filesUnder('_Schmitt/').map(([, bytes]) => bytes);
    expect(stored).toHaveLength(5);
    expect(stored).toEqual(expect.arrayContaining(photos.map((photo) => photo.bytes)));
    expect(await deadJobs()).toEqual([]);
    const puts = (await remotes.webdav.requests()).filter((entry) => entry.method === 'PUT');
    expect(puts.some((entry) => entry.headers['x-nc-webdav-auto-mkcol'] !== undefined)).toBe(false);
    expect(textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Schmitt'))).toContain('5 photos archivées');
  });
});

describe('a retry after an upload whose outcome was not recorded', () => {
  it('finds its own photo under the name it chose, by checksum, and never files it twice', async () => {
    const folder = 'Chantiers/20260325_Vogel/30_Photos_Chantier';
    const [ours] = addPhotos(1, 211);
    // Someone else's photo of the very same size: "same size means ours" would lose ours.
    const theirs = Buffer.concat([fakeJpeg(0).subarray(0, 4), Buffer.alloc(ours!.bytes.length - 4, 0x11)]);
    await putRaw(`${folder}/photo_01_20260325_153012.jpg`, theirs);
    // The upload under the next free name succeeds, then its check fails: the job retries.
    await remotes.webdav.control({ failNext: { status: 503, method: 'PROPFIND', path: 'photo_02' } });

    await h.post(buttonUpdate('fin', 2));
    await h.post(photoUpdate(ours!.fileId, ours!.uniqueId, 2101, { caption: 'Vogel / pose' }));
    await h.drain();

    const files = filesUnder('_Vogel/');
    expect(files.map(([path]) => path.slice(path.lastIndexOf('/') + 1)).sort()).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_153012.jpg',
    ]);
    expect(files.find(([path]) => path.includes('photo_02'))![1]).toEqual(ours!.bytes);
    const putsOfOurs = (await remotes.webdav.requests()).filter(
      (entry) => entry.method === 'PUT' && entry.path.includes('photo_02'),
    );
    expect(putsOfOurs.map((entry) => entry.status)).toEqual([201, 412]);
    expect(textsTo(GROUPS.chantier).find((text) => text.includes('Vogel'))).toContain('1 photo archivée');
  });
});

async function putRaw(path: string, bytes: Buffer): Promise<void> {
  const response = await fetch(
    new URL(path.split('/').map(encodeURIComponent).join('/'), remotes.webdav.davUrl),
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
    h.clock.advance(2 * 60 * 60_000); // received at 16:30 UTC, sent at 14:30:12 UTC (15:30 in Paris)
    await h.post(buttonUpdate('sav', 3));
    const [photo] = addPhotos(1, 220);
    await h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 2201, { caption: 'Horn / fuite' }));
    await h.drain();

    const files = filesUnder('2026-03-25_Horn/');
    const names = files.map(([path]) => path.slice(path.lastIndexOf('/') + 1)).sort();
    expect(names).toEqual(['SAV-0001.md', 'photo_01_20260325_153012.jpg']);
    const markdown = files.find(([path]) => path.endsWith('.md'))![1].toString('utf8');
    expect(markdown).toContain('- Date : 25/03/2026 15:30');
    const [card] = remotes.deck.store.allCards().filter((each) => each.description.includes('SAV-0001'));
    expect(card!.description).toContain('**Date :** 25/03/2026 à 15:30');
  });
});

describe('the office reads the problems too', () => {
  it('the group message carries the same ⚠️ lines as the technician’s confirmation', async () => {
    await h.post(buttonUpdate('fin', 4));
    const [photo] = addPhotos(1, 230);
    const pdf = remotes.telegram.addFile(Buffer.from('%PDF-1.7 not a picture'), {
      mimeType: 'application/pdf',
    });
    await h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 2301, { album: 'pb', caption: 'Jung / pose' }));
    await h.post(documentUpdate(pdf, 2302, 'plan', 'pb'));
    h.clock.advance(3_000);
    await h.drain();

    const line = '« plan » n’est pas une image : non archivé.';
    expect(textsTo(TECHNICIAN.id).find((text) => text.startsWith('✅ FIN-0001 — Jung'))).toContain(line);
    expect(textsTo(GROUPS.chantier).find((text) => text.includes('Jung'))).toContain(`⚠️ ${line}`);
  });
});

function documentUpdate(
  file: { file_id: string; file_unique_id: string },
  messageId: number,
  name: string,
  album?: string,
): Update {
  return {
    update_id: freshUpdateId(),
    message: {
      message_id: messageId,
      date: PHOTO_DATE,
      chat: PRIVATE_CHAT,
      from: TECHNICIAN,
      ...(album ? { media_group_id: album } : {}),
      document: { ...file, file_name: name },
    },
  };
}
