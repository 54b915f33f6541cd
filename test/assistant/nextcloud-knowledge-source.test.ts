import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeSourceError, nextcloudFolderSource } from '../../src/assistant/knowledge-source.ts';
import { createNextcloudArchive, type NextcloudArchive } from '../../src/nextcloud/webdav-archive.ts';
import { startWebDavServer, type WebDavServer } from '../../stand-ins/webdav-server.ts';

const USER = 'etm-bot';
const PASSWORD = 'fake-app-password-not-real';

let server: WebDavServer;
let archive: NextcloudArchive;
beforeAll(async () => {
  server = await startWebDavServer({ user: USER, password: PASSWORD });
  archive = createNextcloudArchive({ url: server.url, user: USER, password: PASSWORD });
  await archive.writeTextNew(
    'Wiki_SAV/onduleurs/fronius-567.md',
    '# Fronius State 567\nRéarmer le disjoncteur.',
  );
  await archive.writeTextNew('Wiki_SAV/pac-coupure.md', '# PAC après coupure\nAttendre 10 min.');
  await archive.writeTextNew('Wiki_SAV/README.md', 'Comment écrire une note');
  await archive.writeTextNew('Wiki_SAV/.brouillons/idee.md', 'pas encore');
  await archive.writeTextNew('Wiki_SAV/photo.jpg', 'not a note');
});
afterAll(async () => {
  await archive.close();
  await server.close();
});

describe('nextcloudFolderSource', () => {
  it('lists every note under the folder, subfolders included, skipping READMEs, dot folders and other files', async () => {
    const notes = await nextcloudFolderSource(archive, 'Wiki_SAV').list();
    expect(notes).toEqual([
      { path: 'onduleurs/fronius-567.md', text: '# Fronius State 567\nRéarmer le disjoncteur.' },
      { path: 'pac-coupure.md', text: '# PAC après coupure\nAttendre 10 min.' },
    ]);
  });

  it('reads a note saved in windows-1252 with its accents, and says it was not UTF-8', async () => {
    const text = '# Pompe à chaleur : défaut E-12\nPurger le circuit.';
    await archive.uploadNew('Latin1/pac-e12.md', Buffer.from(text, 'latin1'));
    await archive.uploadNew('Latin1/bom.md', Buffer.from('\uFEFF# Onduleur : défaut 42', 'utf8'));
    expect(await nextcloudFolderSource(archive, 'Latin1').list()).toEqual([
      { path: 'bom.md', text: '# Onduleur : défaut 42' },
      { path: 'pac-e12.md', text, encoding: 'windows-1252' },
    ]);
  });

  it('gives an empty base for a folder that does not exist yet', async () => {
    expect(await nextcloudFolderSource(archive, 'Pas_encore').list()).toEqual([]);
  });

  it('says the notes could not be read when Nextcloud refuses', async () => {
    const wrong = createNextcloudArchive({ url: server.url, user: USER, password: 'wrong-password' });
    await expect(nextcloudFolderSource(wrong, 'Wiki_SAV').list()).rejects.toBeInstanceOf(
      KnowledgeSourceError,
    );
    await wrong.close();
  });
});
