import { describe, expect, it } from 'vitest';
import { davFiles, GROUPS, reportSuite } from '../support/report-harness.ts';
import {
  buttonUpdate,
  freshUpdateId,
  PHOTO_DATE,
  photoUpdate,
  PRIVATE_CHAT,
  TECHNICIAN,
} from '../support/updates.ts';

/**
 * The Deck card and the Markdown file say how many photos are in the folder, as the group message
 * and the confirmation do: they are made once the report's uploads have ended.
 */

const t = reportSuite();

/** An album of one photo and one PDF (a document that is not a picture), its caption on the photo. */
async function photoAndPdf(report: 'fin' | 'sav', caption: string, firstMessageId: number) {
  await t.h.post(buttonUpdate(report, firstMessageId - 1));
  const [photo] = t.addPhotos(1, firstMessageId);
  const pdf = t.remotes.telegram.addFile(Buffer.from('%PDF-1.7 not a picture'), {
    mimeType: 'application/octet-stream',
  });
  const album = `album-${firstMessageId}`;
  await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, firstMessageId, { album, caption }));
  await t.h.post({
    update_id: freshUpdateId(),
    message: {
      message_id: firstMessageId + 1,
      date: PHOTO_DATE,
      chat: PRIVATE_CHAT,
      from: TECHNICIAN,
      media_group_id: album,
      document: { ...pdf, file_name: 'plan', mime_type: 'application/octet-stream' },
    },
  });
  t.h.clock.advance(3_000);
  await t.h.drain();
}

describe('the Deck card of a report with a file that cannot be archived', () => {
  it('counts the photos that are in the folder, as the group message does, and says why', async () => {
    await photoAndPdf('fin', 'Roth / pose', 901);
    expect([...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Roth/'))).toHaveLength(1);
    const group = t.textsTo(GROUPS.chantier).at(-1);
    expect(group).toContain('📸 1 photo archivée');
    expect(group).toContain('⚠️ « plan » n’est pas une image : non archivé.');
    const [report] = await t.h.db.selectFrom('reports').select('deck_card_id').execute();
    const card = t.remotes.deck.store.allCards().find((c) => c.id === report!.deck_card_id)!;
    expect(card.description).toContain('📸 1 photo —');
    expect(card.description).toContain('  \n⚠️ « plan » n’est pas une image : non archivé.');
  });
});

describe('the Markdown file of a report with a file that cannot be archived', () => {
  it('counts the photos that are in the folder', async () => {
    await photoAndPdf('sav', 'Haas / PAC en défaut', 951);
    const files = [...davFiles(t.remotes.webdav.root)].filter(([path]) => path.includes('_Haas/'));
    expect(files.map(([path]) => path.slice(path.lastIndexOf('/') + 1)).sort()).toEqual([
      'SAV-0001.md',
      'photo_01_20260325_153012.jpg',
    ]);
    expect(files.find(([path]) => path.endsWith('.md'))![1].toString()).toContain('- Photos : 1\n');
  });
});
