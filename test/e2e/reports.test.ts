import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  davFiles,
  GROUPS,
  sentToChat,
  startHarness,
  reportSuite,
  postAlbum,
} from '../support/report-harness.ts';
import { SAFETY_LINE } from '../../src/assistant/safety.ts';
import { enqueueChantierRefresh } from '../../src/reports/jobs/refresh-chantiers.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import {
  buttonUpdate,
  freshUpdateId,
  PHOTO_DATE as DATE,
  photoUpdate,
  PRIVATE_CHAT,
  TECHNICIAN,
  textUpdate,
} from '../support/updates.ts';

const t = reportSuite();

/** The Deck stand-in lives for the whole file: find this test's card by its report id. */
const cardsOf = (publicId: string) =>
  t.remotes.deck.store
    .allCards()
    .filter((card) => card.title.includes(publicId) || card.description.includes(publicId));

/**
 * The stand-ins serve the whole file and every test's first report is FIN-0001: earlier tests'
 * cards are archived, as the office does, so that this test's report gets a card of its own.
 */
function archiveEarlierCards() {
  for (const card of t.remotes.deck.store.allCards()) card.archived = true;
}

/** This test's one report's card, by the id Deck gave it. */
async function cardOfReport() {
  const [report] = await t.h.db.selectFrom('reports').select('deck_card_id').execute();
  return t.remotes.deck.store.allCards().find((card) => card.id === report!.deck_card_id)!;
}

const sentTo = (chatId: number) => sentToChat(t.remotes.telegram, chatId);
const buttonsOf = (call: { params: Record<string, unknown> }) =>
  (
    call.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }
  ).inline_keyboard.flat();

describe('the three reports end to end', () => {
  it('fin: an album with the caption on its 2nd item becomes one archive, one card, one group message, one confirmation', async () => {
    const before = t.remotes.telegram.calls.length;
    await t.h.post(buttonUpdate('fin'));
    const photos = t.addPhotos(3, 10);
    // Delivered out of order, one item twice: the order comes from message_id.
    const updates = [
      photoUpdate(photos[2]!.fileId, photos[2]!.uniqueId, 303, { album: 'album-fin' }),
      photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 301, { album: 'album-fin' }),
      photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 302, {
        album: 'album-fin',
        caption: 'Müller / onduleur + batterie posés',
      }),
    ];
    for (const update of updates) await t.h.post(update);
    await t.h.post({ ...updates[1]!, update_id: freshUpdateId() });
    t.h.clock.advance(3_000);
    await t.h.drain();

    const folder = 'Chantiers/20260325_Müller/30_Photos_Chantier';
    const files = davFiles(t.remotes.webdav.root);
    const names = [...files.keys()]
      .filter((p) => p.includes(folder))
      .map((p) => p.slice(p.lastIndexOf('/') + 1));
    expect(names.sort()).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_153012.jpg',
      'photo_03_20260325_153012.jpg',
    ]);
    const byName = (n: number) =>
      [...files.entries()].find(([p]) => p.endsWith(`photo_0${n}_20260325_153012.jpg`))![1];
    expect([byName(1), byName(2), byName(3)]).toEqual(photos.map((p) => p.bytes));

    const cards = cardsOf('FIN-0001');
    expect(cards).toHaveLength(1);
    expect(cards[0]!.title).toContain('Müller');
    expect(cards[0]!.description).toContain('FIN-0001');

    expect(t.textsTo(GROUPS.chantier)).toEqual([
      expect.stringContaining('💶 Tu peux préparer la facture finale.'),
    ]);
    expect(t.textsTo(GROUPS.chantier)[0]).toContain(`📸 3 photos archivées → Nextcloud/${folder}/`);
    const confirmations = t.textsTo(TECHNICIAN.id).filter((t) => t.startsWith('✅'));
    expect(confirmations).toEqual([expect.stringContaining('FIN-0001')]);
    expect(confirmations[0]).toContain(`3 photos archivées → ${folder}/`);
    expect(t.remotes.telegram.calls.length).toBeGreaterThan(before);
  });

  it('the office hears of a report in the pass that files its last photo: nothing waits for a poll', async () => {
    await t.h.post(buttonUpdate('fin'));
    const photos = t.addPhotos(2, 40);
    await postAlbum(t.h, photos, { id: 'album-at-once', caption: 'Ritter / pose', firstMessageId: 401 });
    t.h.clock.advance(3_000);
    // One pass, the clock standing still: plan, uploads, card, then the announcement they released.
    await t.h.background.worker.runOnce();
    expect(t.textsTo(GROUPS.chantier).filter((text) => text.includes('Ritter'))).toEqual([
      expect.stringContaining('📸 2 photos archivées'),
    ]);
    const notify = await t.h.db
      .selectFrom('jobs')
      .select(['state', 'attempts'])
      .where('type', '=', 'report.notify')
      .executeTakeFirstOrThrow();
    expect(notify).toEqual({ state: 'done', attempts: 1 });
  });

  it('a notification queued before job dependencies existed still waits for the photos (upgrade)', async () => {
    await t.h.post(buttonUpdate('fin'));
    const photos = t.addPhotos(2, 45);
    await postAlbum(t.h, photos, { id: 'album-upgrade', caption: 'Vogel / pose', firstMessageId: 451 });
    t.h.clock.advance(3_000);
    // Job by job until the album has closed into a report, whose work has not started yet.
    const notifyJob = () =>
      t.h.db.selectFrom('jobs').select('id').where('type', '=', 'report.notify').executeTakeFirst();
    while (!(await notifyJob())) await (await t.h.background.worker.startOne())!.done;
    // Its notify is made to wait on nothing, as the previous version queued it.
    const notify = (await notifyJob())!;
    await t.h.db.deleteFrom('job_dependencies').where('job_id', '=', notify.id).execute();
    await t.h.db.updateTable('jobs').set({ waiting_for: 0 }).where('id', '=', notify.id).execute();
    await t.h.drain();
    expect(t.textsTo(GROUPS.chantier).filter((text) => text.includes('Vogel'))).toEqual([
      expect.stringContaining('📸 2 photos archivées'),
    ]);
  });

  it('sav: the description, the photos to the SAV group, a Markdown report and a card with a due date', async () => {
    await t.h.post(buttonUpdate('sav'));
    const [photo] = t.addPhotos(1, 40);
    await t.h.post(
      photoUpdate(photo!.fileId, photo!.uniqueId, 401, { caption: 'Müller / PAC en défaut E-12' }),
    );
    await t.h.drain();

    const files = [...davFiles(t.remotes.webdav.root).keys()];
    expect(files).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/SAV_Urgent\/2026-03-25_Müller\/photo_01_20260325_153012\.jpg$/),
        expect.stringMatching(/SAV_Urgent\/2026-03-25_Müller\/SAV-0001\.md$/),
      ]),
    );
    const group = sentTo(GROUPS.sav);
    expect(group).toHaveLength(1);
    expect(group[0]!.method).toBe('sendPhoto');
    expect(String(group[0]!.params.caption)).toContain('🚨 SAV — Müller');
    expect(String(group[0]!.params.caption)).toContain('PAC en défaut E-12');
    const [card] = cardsOf('SAV-0001');
    expect(card!.duedate).toBeTruthy();
  });

  it('materiel: a text alone gives the list to the Magasinier group', async () => {
    await t.h.post(buttonUpdate('materiel'));
    await t.h.post(textUpdate('Müller / - cuivre 28mm - disconnecteur - soupape anti-gel'));
    await t.h.drain();
    expect(t.textsTo(GROUPS.magasin)).toEqual([expect.stringContaining('📦 Matériel manquant — Müller')]);
    expect(t.textsTo(GROUPS.magasin)[0]).toContain('- cuivre 28mm\n- disconnecteur\n- soupape anti-gel');
    expect(cardsOf('MAT-0001')[0]!.description).toContain('- [ ] soupape anti-gel');
    expect([...davFiles(t.remotes.webdav.root).keys()]).toEqual(
      expect.arrayContaining([expect.stringMatching(/Logistique\/Manquants\/Müller\/MAT-0001\.md$/)]),
    );
  });

  it('two albums for the same client the same day: numbering continues, nothing overwritten', async () => {
    for (const [round, album] of ['a1', 'a2'].entries()) {
      // Each report from a fresh menu: a second tap on the same message is ignored on purpose.
      await t.h.post(buttonUpdate('fin', 60 + round));
      const photos = t.addPhotos(2, 60 + round * 10);
      await t.h.post(
        photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 600 + round * 10, {
          album,
          caption: 'Dupont / pose',
        }),
      );
      await t.h.post(photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 601 + round * 10, { album }));
      t.h.clock.advance(3_000);
      await t.h.drain();
    }
    const names = [...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Dupont/'));
    expect(names.map((p) => p.slice(p.lastIndexOf('/') + 1, p.lastIndexOf('/') + 9)).sort()).toEqual([
      'photo_01',
      'photo_02',
      'photo_03',
      'photo_04',
    ]);
  });

  it('reuses an existing folder of the same client, whatever its case and accents', async () => {
    await t.h.post(buttonUpdate('fin'));
    const [photo] = t.addPhotos(1, 80);
    const existing = 'Chantiers/20250101_weiss/30_Photos_Chantier';
    await remotesMkdir(existing);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 801, { caption: 'Weiß / mise en service' }));
    await t.h.drain();
    expect([...davFiles(t.remotes.webdav.root).keys()]).toEqual(
      expect.arrayContaining([expect.stringContaining(`${existing}/photo_01_20260325_153012.jpg`)]),
    );
    expect([...davFiles(t.remotes.webdav.root).keys()].some((p) => p.includes('20260325_Weiß'))).toBe(false);
  });

  it('a late album item joins its report: same folder, a short note, and the office is told the new count', async () => {
    const earlier = t.textsTo(GROUPS.chantier).length;
    archiveEarlierCards();
    await t.h.post(buttonUpdate('fin'));
    const photos = t.addPhotos(3, 90);
    await t.h.post(
      photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 901, { album: 'late', caption: 'Klein / pose' }),
    );
    t.h.clock.advance(3_000);
    await t.h.drain();
    const [report] = await t.h.db.selectFrom('reports').select(['public_id', 'folder']).execute();
    const { public_id: id, folder } = report!;
    expect(t.textsTo(GROUPS.chantier).at(-1)).toContain('📸 1 photo archivée');
    expect((await cardOfReport()).description).toContain('📸 1 photo —');

    // Bad 4G: two more items of the album come after the report was announced.
    await t.h.post(photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 902, { album: 'late' }));
    await t.h.post(photoUpdate(photos[2]!.fileId, photos[2]!.uniqueId, 903, { album: 'late' }));
    await t.h.drain();
    const names = [...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Klein/'));
    expect(names).toHaveLength(3);
    expect(t.textsTo(TECHNICIAN.id)).toEqual(
      expect.arrayContaining([expect.stringContaining('+1 photo ajoutée')]),
    );
    // One line per join, never a second report message; the card counts what is archived.
    const group = t.textsTo(GROUPS.chantier).slice(earlier);
    expect(group.slice(1)).toEqual([
      `➕ 1 photo ajoutée à ${id} (2 au total) → Nextcloud/${folder}/`,
      `➕ 1 photo ajoutée à ${id} (3 au total) → Nextcloud/${folder}/`,
    ]);
    expect((await cardOfReport()).description).toContain('📸 3 photos —');
    expect(t.remotes.deck.store.allCards().filter((c) => c.description.includes(folder!))).toHaveLength(1);
    // Redelivered, the straggler changes nothing.
    await t.h.drain();
    expect(t.textsTo(GROUPS.chantier).slice(earlier)).toHaveLength(3);
  });

  it('a late album item that cannot be filed is said to the office and the technician', async () => {
    const earlier = t.textsTo(GROUPS.chantier).length;
    archiveEarlierCards();
    await t.h.post(buttonUpdate('fin', 84));
    const [photo] = t.addPhotos(1, 97);
    const huge = t.remotes.telegram.addFile(Buffer.alloc(20 * 1024 * 1024 + 1, 0xff), {
      mimeType: 'image/jpeg',
    });
    await t.h.post(
      photoUpdate(photo!.fileId, photo!.uniqueId, 971, { album: 'late3', caption: 'Vogt / pose' }),
    );
    t.h.clock.advance(3_000);
    await t.h.drain();
    await t.h.post(photoUpdate(huge.file_id, huge.file_unique_id, 972, { album: 'late3' }));
    await t.h.drain();
    const [report] = await t.h.db.selectFrom('reports').select('public_id').execute();
    const id = report!.public_id;
    expect(t.textsTo(GROUPS.chantier).slice(earlier).slice(1)).toEqual([
      `⚠️ ${id} : 1 photo ajoutée après coup n’a pas pu être archivée.`,
    ]);
    expect(t.textsTo(TECHNICIAN.id).at(-1)).toBe(
      `⚠️ ${id} : 1 photo ajoutée après coup n’a pas pu être archivée. Envoie-la au bureau autrement.`,
    );
    expect((await cardOfReport()).description).toContain('📸 1 photo —');
  });

  it('a late album item that joins before the office is told is counted in its one message', async () => {
    const earlier = t.textsTo(GROUPS.chantier).length;
    archiveEarlierCards();
    await t.h.post(buttonUpdate('fin', 82));
    const photos = t.addPhotos(2, 95);
    await t.h.post(
      photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 951, { album: 'late2', caption: 'Kern / pose' }),
    );
    // Past the album's longest quiet time it closes and the report is made; a first upload refused
    // once holds its announcement back.
    await t.remotes.webdav.control({ failNext: { status: 503, times: 1, method: 'PUT' } });
    t.h.clock.advance(30_000);
    await t.h.background.worker.runOnce();
    expect(await t.h.db.selectFrom('reports').select('status').execute()).toEqual([{ status: 'received' }]);
    await t.h.post(photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 952, { album: 'late2' }));
    await t.h.drain();
    // It joined the report made already, rather than the album waiting for it.
    const joins = await t.h.db
      .selectFrom('jobs')
      .select('id')
      .where('type', '=', 'report.add-media')
      .execute();
    expect(joins).toHaveLength(1);
    const group = t.textsTo(GROUPS.chantier).slice(earlier);
    expect(group).toHaveLength(1);
    expect(group[0]).toContain('📸 2 photos archivées');
    expect((await cardOfReport()).description).toContain('📸 2 photos —');
  });

  it('a file that is not a picture or is over 20 MB is reported in one line; the rest is filed', async () => {
    await t.h.post(buttonUpdate('fin', 81));
    const [photo] = t.addPhotos(1, 130);
    const pdf = t.remotes.telegram.addFile(Buffer.from('%PDF-1.7 not a picture'), {
      mimeType: 'application/octet-stream',
    });
    const huge = t.remotes.telegram.addFile(Buffer.alloc(20 * 1024 * 1024 + 1, 0xff), {
      mimeType: 'image/jpeg',
    });
    const documentUpdate = (
      file: { file_id: string; file_unique_id: string },
      messageId: number,
      name: string,
    ) => ({
      update_id: freshUpdateId(),
      message: {
        message_id: messageId,
        date: DATE,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        media_group_id: 'mixed',
        document: {
          ...file,
          file_name: name,
          mime_type: name.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream',
        },
      },
    });
    await t.h.post(
      photoUpdate(photo!.fileId, photo!.uniqueId, 1301, { album: 'mixed', caption: 'Koch / pose' }),
    );
    await t.h.post(documentUpdate(pdf, 1302, 'plan'));
    await t.h.post(documentUpdate(huge, 1303, 'IMG_9999.jpg'));
    t.h.clock.advance(3_000);
    await t.h.drain();

    expect([...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Koch/'))).toHaveLength(1);
    const confirmation = t.textsTo(TECHNICIAN.id).find((t) => t.startsWith('✅ FIN-0001 — Koch'))!;
    expect(confirmation).toContain('1 photo archivée');
    expect(confirmation).toContain('« plan » n’est pas une image : non archivé.');
    expect(confirmation).toContain('« IMG_9999.jpg » dépasse 20 Mo');
    expect(await t.h.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute()).toEqual([]);
  });

  it('a Nextcloud still failing after a minute: the technician is told it retries, then confirmed', async () => {
    // Seven refusals in a row back off for at least 127 s, past the one-minute notice.
    await t.remotes.webdav.control({ failNext: { status: 503, times: 7, method: 'PUT' } });
    await t.h.post(buttonUpdate('fin', 82));
    const [photo] = t.addPhotos(1, 140);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 1401, { caption: 'Wolff / pose' }));
    await t.h.drain();
    const toTechnician = t.textsTo(TECHNICIAN.id);
    const notice = toTechnician.findIndex((t) =>
      t.startsWith('⏳ FIN-0001 : archivage en cours, je réessaie.'),
    );
    const confirmed = toTechnician.findIndex((t) => t.startsWith('✅ FIN-0001 — Wolff'));
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(confirmed).toBeGreaterThan(notice);
    expect(toTechnician[confirmed]).toContain('1 photo archivée');
  });

  it('a report whose group is not configured is still filed, and the technician is told', async () => {
    const noGroups = await startHarness(t.remotes, { BOT_ETM_TERRAIN_GROUP_MAGASIN: '' });
    await noGroups.post(buttonUpdate('materiel', 83));
    await noGroups.post(textUpdate('Lang / - vis inox'));
    await noGroups.drain();
    const confirmation = t.textsTo(TECHNICIAN.id).find((t) => t.startsWith('✅ MAT-0001 — Lang'));
    expect(confirmation).toContain(
      'Le bureau n’a pas été prévenu : aucun groupe ETM-Magasinier n’est configuré.',
    );
    expect(t.textsTo(GROUPS.magasin).some((t) => t.includes('Lang'))).toBe(false);
    const [report] = await noGroups.db.selectFrom('reports').select(['deck_card_id', 'folder']).execute();
    expect(report).toEqual({ deck_card_id: expect.any(Number), folder: 'Logistique/Manquants/Lang' });
    await noGroups.close();
  });

  it('a full Nextcloud (507) is not retried in a loop: the technician and the office are told', async () => {
    await t.remotes.webdav.control({ failNext: { status: 507, times: 50, method: 'PUT' } });
    await t.h.post(buttonUpdate('fin'));
    const [photo] = t.addPhotos(1, 95);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 951, { caption: 'Roth / pose' }));
    await t.h.drain();
    const dead = await t.h.db
      .selectFrom('jobs')
      .select(['type', 'attempts'])
      .where('state', '=', 'dead')
      .execute();
    expect(dead).toEqual([{ type: 'report.archive-photo', attempts: 1 }]);
    expect(t.textsTo(GROUPS.chantier).find((t) => t.includes('Roth'))).toContain(
      'Archivage Nextcloud échoué',
    );
    expect(t.textsTo(TECHNICIAN.id).find((t) => t.startsWith('✅ FIN-0001 — Roth'))).toContain(
      'Archivage Nextcloud échoué',
    );
  });

  it('a Nextcloud briefly unavailable (503) is retried until the photo is filed', async () => {
    await t.remotes.webdav.control({ failNext: { status: 503, times: 2, method: 'PUT' } });
    await t.h.post(buttonUpdate('fin'));
    const [photo] = t.addPhotos(1, 97);
    await t.h.post(photoUpdate(photo!.fileId, photo!.uniqueId, 971, { caption: 'Meyer / pose' }));
    await t.h.drain();
    expect([...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Meyer/'))).toHaveLength(1);
    expect(await t.h.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute()).toEqual([]);
  });
});

describe('the SAV assistant after a SAV report', () => {
  it('sends the technician leads that start with the consignation line, without delaying the report', async () => {
    const ollama = await OllamaStandIn.start();
    const withAssistant = await startHarness(t.remotes, {
      ASSISTANT_ENABLED: 'true',
      OLLAMA_URL: ollama.url,
      OLLAMA_MODEL: STAND_IN_CHAT_MODEL,
      OLLAMA_EMBED_MODEL: STAND_IN_EMBED_MODEL,
      ASSISTANT_KNOWLEDGE_DIR: 'knowledge/Wiki_SAV',
    });
    await withAssistant.post(buttonUpdate('sav', 80));
    await withAssistant.post(textUpdate('Huber / onduleur Fronius affiche State 567'));
    await withAssistant.drain();
    const answer = t
      .textsTo(TECHNICIAN.id)
      .find((t) => t.startsWith(SAFETY_LINE) && t.includes('🎫 SAV-0001'));
    expect(answer).toBeDefined();
    expect(answer!.length).toBeLessThanOrEqual(3600);
    expect(t.textsTo(GROUPS.sav).some((t) => t.includes('🚨 SAV — Huber'))).toBe(true);

    // The answer is summed up under the report's Deck card, within Deck's 1000 characters.
    const [report] = await withAssistant.db.selectFrom('reports').select('deck_card_id').execute();
    const comments = t.remotes.deck.store.allComments(report!.deck_card_id!);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.message).toMatch(/^🤖 Pistes de l’assistant/u);
    expect(comments[0]!.message).toContain(SAFETY_LINE);
    expect(comments[0]!.message.length).toBeLessThanOrEqual(1000);

    // Its 👍 button is stored with the answer, for calibration.
    const sent = sentTo(TECHNICIAN.id).find((c) => String(c.params.text).startsWith(SAFETY_LINE))!;
    const keyboard = sent.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    await withAssistant.post(buttonUpdate(keyboard.inline_keyboard[0]![0]!.callback_data, 90));
    await withAssistant.drain();
    const [logged] = await withAssistant.db.selectFrom('assistant_answers').select('feedback').execute();
    expect(logged).toEqual({ feedback: 'helpful' });

    // A free question gets the same kind of answer, with a button to open a SAV from it; this one
    // fits the three cases of the IRVE note alike: one button each, and a tap brings that fix.
    const asked = await withAssistant.post(textUpdate('/question borne IRVE ne charge plus depuis hier'));
    expect(JSON.parse(asked.body)).toEqual({ text: '🔎 Je cherche des pistes, réponse d’ici une minute.' });
    await withAssistant.drain();
    const reply = sentTo(TECHNICIAN.id).at(-1)!;
    expect(String(reply.params.text).startsWith(SAFETY_LINE)).toBe(true);
    expect(String(reply.params.text)).toContain(
      '❓ Borne de recharge (IRVE) : le véhicule ne charge pas : plusieurs cas connus. Lequel décrit ce que tu vois ?\n1. Voyant rouge, détection de fuite DC déclenchée (Hager, witty)\n',
    );
    expect(JSON.stringify(reply.params.reply_markup)).toContain('"callback_data":"sav"');
    const cases = buttonsOf(reply).filter((button) => button.callback_data.startsWith('afx:'));
    expect(cases.map((button) => button.text)).toEqual([
      '1. Voyant rouge, détection de fuite DC déclenchée',
      '2. Borne en attente, véhicule en charge programmée',
      '3. Câble type 2 qui ne se verrouille pas',
    ]);
    await withAssistant.post(buttonUpdate(cases[1]!.callback_data, 95));
    await withAssistant.drain();
    const fix = String(sentTo(TECHNICIAN.id).at(-1)!.params.text);
    expect(fix).toContain(
      '💡 Solution connue (cas choisi) — Borne de recharge (IRVE) : le véhicule ne charge pas — Borne en attente',
    );
    // Another case of the same message, tapped on a second phone where the buttons still show,
    // brings that case too; the same case twice is sent once.
    await withAssistant.post(buttonUpdate(cases[0]!.callback_data, 95));
    await withAssistant.post(buttonUpdate(cases[0]!.callback_data, 95));
    await withAssistant.drain();
    const fixes = t.textsTo(TECHNICIAN.id).filter((text) => text.includes('💡 Solution connue (cas choisi)'));
    expect(fixes).toHaveLength(2);
    expect(fixes[1]).toContain('— Voyant rouge, détection de fuite DC déclenchée');
    await withAssistant.close();
    await ollama.close();
  });
});

describe('the SAV assistant with Ollama stopped', () => {
  it('still answers the spec questions with their known fixes, found by code and words', async () => {
    const ollama = await OllamaStandIn.start();
    const ollamaUrl = ollama.url;
    await ollama.close();
    const withAssistant = await startHarness(t.remotes, {
      ASSISTANT_ENABLED: 'true',
      OLLAMA_URL: ollamaUrl,
      OLLAMA_MODEL: STAND_IN_CHAT_MODEL,
      OLLAMA_EMBED_MODEL: STAND_IN_EMBED_MODEL,
      ASSISTANT_KNOWLEDGE_DIR: 'knowledge/Wiki_SAV',
    });
    await withAssistant.post(textUpdate('/question onduleur Fronius affiche erreur 567'));
    await withAssistant.drain();
    expect(String(sentTo(TECHNICIAN.id).at(-1)!.params.text)).toContain(
      '💡 Solution connue (confiance 98 % : code 567 + Fronius + onduleur) — Fronius Symo / Primo : State 567',
    );

    await withAssistant.post(textUpdate('/question PAC ne démarre plus après coupure EDF'));
    await withAssistant.drain();
    const choice = sentTo(TECHNICIAN.id).at(-1)!;
    expect(String(choice.params.text)).toContain(' : plusieurs cas connus. Lequel décrit ce que tu vois ?');
    const cases = buttonsOf(choice).filter((button) => button.callback_data.startsWith('afx:'));
    expect(cases).toHaveLength(3);
    await withAssistant.post(buttonUpdate(cases[1]!.callback_data, 96));
    await withAssistant.drain();
    expect(String(sentTo(TECHNICIAN.id).at(-1)!.params.text)).toContain(
      '💡 Solution connue (cas choisi) — PAC air/eau : ne redémarre pas après une coupure de courant — ',
    );
    // The answers went out, and /readyz still says what the assistant is missing.
    expect((await withAssistant.readiness()).body).toMatchObject({
      status: 'ok',
      checks: { assistant: expect.stringMatching(/^degraded: known fixes found without embeddings: /u) },
    });
    await withAssistant.close();
  });
});

describe('the SAV assistant when Ollama fails', () => {
  it('never blocks the report, and /readyz stays ready while saying the assistant is degraded', async () => {
    const ollama = await OllamaStandIn.start();
    ollama.failNext('/api/chat', { kind: 'status', status: 500, error: 'llama runner crashed' }, 50);
    const withAssistant = await startHarness(t.remotes, {
      ASSISTANT_ENABLED: 'true',
      OLLAMA_URL: ollama.url,
      OLLAMA_MODEL: STAND_IN_CHAT_MODEL,
      OLLAMA_EMBED_MODEL: STAND_IN_EMBED_MODEL,
    });
    expect(await withAssistant.readiness()).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: { database: 'ok', assistant: 'ok: no answer asked yet', nextcloud: 'ok' },
      },
    });
    await withAssistant.post(buttonUpdate('sav', 91));
    await withAssistant.post(textUpdate('Roux / PAC en défaut'));
    await withAssistant.drain();

    expect(t.textsTo(TECHNICIAN.id).some((t) => t.startsWith('✅ SAV-0001 — Roux'))).toBe(true);
    const dead = await withAssistant.db
      .selectFrom('jobs')
      .select('type')
      .where('state', '=', 'dead')
      .execute();
    expect(dead).toEqual([{ type: 'assistant.answer-report' }]);
    const ready = await withAssistant.readiness();
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { assistant: expect.stringMatching(/^degraded: /) },
    });
    await withAssistant.close();
    await ollama.close();
  });
});

describe('a restart in the middle of an album', () => {
  it('loses nothing: the album closes after restart and becomes one report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etm-restart-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` };
    const first = await startHarness(t.remotes, env);
    await first.post(buttonUpdate('fin', 70));
    const photos = t.addPhotos(3, 120);
    await first.post(
      photoUpdate(photos[0]!.fileId, photos[0]!.uniqueId, 1201, {
        album: 'restart',
        caption: 'Bauer / pose',
      }),
    );
    await first.post(photoUpdate(photos[1]!.fileId, photos[1]!.uniqueId, 1202, { album: 'restart' }));
    await first.close();

    const second = await startHarness(t.remotes, env);
    await second.post(photoUpdate(photos[2]!.fileId, photos[2]!.uniqueId, 1203, { album: 'restart' }));
    second.clock.advance(3_000);
    await second.drain();
    const reports = await second.db.selectFrom('reports').select(['public_id', 'media']).execute();
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0]!.media)).toHaveLength(3);
    expect([...davFiles(t.remotes.webdav.root).keys()].filter((p) => p.includes('_Bauer/'))).toHaveLength(3);
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the chantiers the office already has', () => {
  it('are learnt from Nextcloud every hour, so a folder made by hand is offered before any report lists it', async () => {
    await remotesMkdir('Chantiers/20250101_Hänsel');
    await remotesMkdir('SAV_Urgent/2026-01-02_Gretel');
    await remotesMkdir('Logistique/Manquants/Dupont-Aignan');
    // Every replica asks each hour: the refresh of that hour is queued once.
    await enqueueChantierRefresh(t.h.db, t.h.clock.now());
    await enqueueChantierRefresh(t.h.db, t.h.clock.now());
    const queued = await t.h.db
      .selectFrom('jobs')
      .select('id')
      .where('type', '=', 'report.refresh-chantiers')
      .execute();
    expect(queued).toHaveLength(1);
    await t.h.drain();
    const known = (await t.h.db.selectFrom('known_chantiers').select('name').execute()).map(
      (row) => row.name,
    );
    expect(known).toEqual(expect.arrayContaining(['Hänsel', 'Gretel', 'Dupont-Aignan']));

    // A bare answer naming it is taken at once, in the office's spelling.
    await t.h.post(buttonUpdate('sav', 83));
    await t.h.post(textUpdate('PAC en défaut E-12'));
    const answer = await t.h.post(textUpdate('hansel'));
    expect(JSON.parse(answer.body)).toEqual({ text: '⏳ Bien reçu ! J’archive et je préviens le bureau.' });
    const [report] = await t.h.db.selectFrom('reports').select('chantier').execute();
    expect(report!.chantier).toBe('Hänsel');
  });
});

async function remotesMkdir(path: string): Promise<void> {
  let current = '';
  for (const segment of path.split('/')) {
    current = current ? `${current}/${segment}` : segment;
    await fetch(new URL(current.split('/').map(encodeURIComponent).join('/'), t.remotes.webdav.davUrl), {
      method: 'MKCOL',
      headers: {
        authorization: `Basic ${Buffer.from('etm-bot:fake-app-password-not-real').toString('base64')}`,
      },
    });
  }
}
