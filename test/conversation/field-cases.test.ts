import { describe, expect, it } from 'vitest';
import { albumCloseDelay } from '../../src/conversation/album-timing.ts';
import { chantierChoiceData } from '../../src/conversation/chantier-choice.ts';
import { toEvent } from '../../src/conversation/events.ts';
import { DEFAULT_SETTINGS } from '../../src/conversation/settings.ts';
import { texts } from '../../src/conversation/texts.ts';
import { planPhotos } from '../../src/reports/archive-plan.ts';
import { groupMessage } from '../../src/reports/report-messages.ts';
import type { Message } from '../../src/telegram/update-schema.ts';
import { createTestApp, postUpdate } from '../support/test-app.ts';
import { ConversationHarness, MINUTE, reportEffects } from '../support/conversation-harness.ts';
import { buttonUpdate, PRIVATE_CHAT, TECHNICIAN, textUpdate } from '../support/updates.ts';

/**
 * What went wrong when the bot was tried as a new technician would, with the disorder of a real
 * day on a roof, and in a replay of real Updates: each case by name, as it must behave now.
 */

const says = (outcome: { say: readonly { text: string }[] }) => outcome.say.map((s) => s.text);

describe('a poison update: a long draft, then 🔎', () => {
  it('the question the assistant gets is at most one Telegram message long', () => {
    const h = new ConversationHarness({ settings: { ...DEFAULT_SETTINGS, assistant: true } });
    h.send(h.text('a'.repeat(3000)));
    h.send(h.text('b'.repeat(3000)));
    const tapped = h.send(h.button('question', { messageId: 77 }));
    const job = tapped.effects.find((e) => e.kind === 'job' && e.job === 'assistant.answer-question');
    expect(job).toBeDefined();
    const question = (job as { payload: { question: string } }).payload.question;
    expect(question.length).toBeLessThanOrEqual(4096);
  });

  it('through the route: a 200 and a French line, never a 503 that the gateway re-sends forever', async () => {
    const t = await createTestApp({ ASSISTANT_ENABLED: 'true' });
    try {
      for (const text of ['a'.repeat(3000), 'b'.repeat(3000)]) {
        expect((await postUpdate(t.app, textUpdate(text))).statusCode).toBe(200);
      }
      const response = await postUpdate(t.app, buttonUpdate('question', 77));
      expect(response.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('a report with nothing usable is not made', () => {
  it.each([
    ['a GIF', 'image/gif', 'anim.gif'],
    ['an SVG', 'image/svg+xml', 'plan.svg'],
    ['a TIFF', 'image/tiff', 'scan.tiff'],
    ['a file without type', undefined, undefined],
  ])('/fin then %s: refused at once in one line; the report waits for a real photo', (_n, mime, name) => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const update = {
      update_id: 1,
      message: {
        message_id: 500,
        date: 1774449000,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        caption: 'Müller / pose',
        document: {
          file_id: 'd',
          file_unique_id: 'u-d',
          ...(mime ? { mime_type: mime } : {}),
          ...(name ? { file_name: name } : {}),
        },
      },
    };
    const event = toEvent(update);
    if (event.kind === 'ignored') throw new Error('ignored');
    const refused = h.send(event);
    expect(says(refused)).toEqual([texts.notAnImage(name ?? 'ce fichier')]);
    expect(reportEffects(refused.effects)).toEqual([]);
    expect(h.draft?.media).toEqual([]);
    const photo = h.send(h.photo({ caption: 'Müller / pose' }));
    expect(reportEffects(photo.effects)).toHaveLength(1);
  });

  it('"0 photos archivée" is gone: the group reads "aucune photo archivée"', () => {
    const text = groupMessage({
      publicId: 'FIN-0001',
      kind: 'fin',
      technician: 'Jean Test',
      chantier: 'Müller',
      text: '',
      items: [],
      photoCount: 0,
      folder: 'Chantiers/20260325_Müller/30_Photos_Chantier',
    });
    expect(text).toContain('📸 aucune photo archivée → Nextcloud/');
  });
});

describe('noise is not answered as if typed', () => {
  const base = { message_id: 9, date: 1774449000, chat: PRIVATE_CHAT, from: TECHNICIAN };
  it('an edit of a shared live location gets no answer', () => {
    const location = { latitude: 48.08, longitude: 7.36, live_period: 900 };
    const update = { update_id: 2, edited_message: { ...base, edit_date: 1774449030, location } as Message };
    expect(toEvent(update)).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['an auto-delete timer', { message_auto_delete_timer_changed: { message_auto_delete_time: 60 } }],
    ['a pinned message', { pinned_message: { ...base } }],
    ['write_access_allowed', { write_access_allowed: {} }],
    ['a forum topic edited', { forum_topic_edited: { name: 'x' } }],
  ])('a service message (%s) gets no answer', (_name, fields) => {
    expect(toEvent({ update_id: 3, message: { ...base, ...fields } })).toMatchObject({
      kind: 'ignored',
    });
  });
});

describe('a picture sent as a file over 20 MB', () => {
  it('is refused at once, as a video is: a Fin report keeps waiting for a photo', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller'] });
    h.send(h.command('fin'));
    const big = h.document({
      image: 'image',
      mimeType: 'image/jpeg',
      fileName: 'IMG_20260325_153012.jpg',
      caption: 'Müller / onduleur + batterie posés',
      fileSize: 31_000_000,
    });
    const outcome = h.send(big);
    expect(reportEffects(outcome.effects)).toEqual([]);
    expect(says(outcome)).toEqual([texts.fileTooLarge('IMG_20260325_153012.jpg')]);
    expect(h.state.draft?.media).toEqual([]);
  });

  it('in an album, one line for the album, and the other photos are kept', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller'] });
    h.send(h.command('fin', 'Müller / onduleur posé'));
    h.send(h.photo({ mediaGroupId: 'alb-big' }));
    const big = h.document({
      image: 'image',
      mimeType: 'image/jpeg',
      fileName: 'IMG_big.jpg',
      fileSize: 31_000_000,
      mediaGroupId: 'alb-big',
    });
    expect(says(h.send(big))).toEqual([texts.albumPartlyRefused]);
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    const closed = h.send(h.albumClosed('alb-big'));
    expect(reportEffects(closed.effects).map((e) => e.report.media.length)).toEqual([1]);
  });
});

describe('videos are kept', () => {
  it('/fin then a video: kept as the report’s media, like a photo', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const outcome = h.send(h.video({ caption: 'Müller / bruit du compresseur' }));
    const [report] = reportEffects(outcome.effects);
    expect(report?.report.media.map((m) => m.source)).toEqual(['video']);
  });

  it('a video over 20 MB: one line asking for a shorter clip, nothing kept', () => {
    const h = new ConversationHarness();
    h.send(h.command('sav'));
    const outcome = h.send(h.video({ fileSize: 21 * 1024 * 1024 }));
    expect(says(outcome)).toEqual([texts.videoTooLarge]);
    expect(h.draft?.media).toEqual([]);
  });

  it('a mixed album with two videos too big: one line for the album, not one per item', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const lines = [
      h.send(h.photo({ mediaGroupId: 'mix', caption: 'Müller / toit' })),
      h.send(h.video({ mediaGroupId: 'mix', fileSize: 30 * 1024 * 1024 })),
      h.send(h.video({ mediaGroupId: 'mix', fileSize: 40 * 1024 * 1024 })),
    ].flatMap(says);
    expect(lines).toEqual([texts.albumPartlyRefused]);
  });
});

describe('forwarded photos', () => {
  it('are accepted and dated by their origin, not by the forward', () => {
    const origin = 1774449000 - 3 * 86_400;
    const event = toEvent({
      update_id: 4,
      message: {
        message_id: 600,
        date: 1774449000,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        caption: 'Müller / avant travaux',
        forward_origin: { type: 'hidden_user', date: origin },
        photo: [{ file_id: 'f', file_unique_id: 'u-f', width: 10, height: 10 }],
      },
    });
    if (event.kind === 'ignored') throw new Error('ignored');
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const [report] = reportEffects(h.send(event).effects);
    expect(report?.report.media[0]?.date).toBe(origin);
  });
});

describe('videos in the archive', () => {
  it('share the numbering with photos and are named video_NN_…', () => {
    const media = (messageId: number, source: 'photo' | 'video', mimeType: string) => ({
      fileId: `f${messageId}`,
      fileUniqueId: `u${messageId}`,
      messageId,
      date: 1774449012,
      source,
      mimeType,
      fileName: undefined,
      fileSize: 1000,
      mediaGroupId: undefined,
    });
    const names = planPhotos(
      'sav',
      [media(1, 'photo', 'image/jpeg'), media(2, 'video', 'video/quicktime'), media(3, 'video', 'video/mp4')],
      ['photo_01_20260101_120000.jpg'],
      'Europe/Paris',
    ).map((file) => file.name);
    expect(names).toEqual([
      'photo_02_20260325_153012.jpg',
      'video_03_20260325_153012.mov',
      'video_04_20260325_153012.mp4',
    ]);
  });
});

describe('a report parked in silence: a tap on an older menu', () => {
  it('/start, « Koch », 📸 on the used menu: the tap acts, shows « Koch » back; the album makes the report', () => {
    const h = new ConversationHarness();
    h.send(h.command('start'));
    h.send(h.button('fin', { messageId: 40 }));
    h.send(h.command('annuler'));
    h.send(h.text('Koch'));
    const tap = h.send(h.button('fin', { messageId: 40, accessible: false }));
    expect(says(tap)).toEqual([texts.attached('« Koch »'), texts.missing.photo]);
    h.sendAll(h.album('a1', 2, { text: 'Müller / onduleur remplacé', on: 0 }));
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    const closed = h.send(h.albumClosed('a1'));
    expect(says(closed)).toEqual([texts.received]);
    const [report] = reportEffects(closed.effects);
    expect(report?.report).toMatchObject({
      kind: 'fin',
      chantier: 'Müller',
      text: 'Koch\nonduleur remplacé',
    });
  });
});

describe('an old unanswered input slips into the next report', () => {
  it('« Koch » left, then /menu → Fin: the menu names it, the choice shows it back before it joins', () => {
    const h = new ConversationHarness();
    h.send(h.text('Koch'));
    const menu = h.send(h.command('menu'));
    expect(says(menu)).toEqual([texts.greeting('Jean', '« Koch »')]);
    const chosen = h.send(h.button('fin', { messageId: 41 }));
    expect(says(chosen)[0]).toBe(texts.attached('« Koch »'));
  });

  it('an input left past the time-out expires visibly, never into a later report', () => {
    const h = new ConversationHarness();
    h.send(h.photo());
    h.advance(DEFAULT_SETTINGS.draftTimeoutMs + MINUTE);
    const sav = h.send(h.command('sav', 'Schmidt / PAC en défaut'));
    expect(says(sav)[0]).toMatch(/^🕒 Ton rapport en cours \(1 photo\)/u);
    const [report] = reportEffects(sav.effects);
    expect(report?.report.media).toEqual([]);
  });
});

describe('after the time-out, the answer is used', () => {
  it('Fin with 2 photos, long wait, « Zimmer / toiture terminée », ↩️ Reprendre: one report, nothing asked twice', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.sendAll([h.photo(), h.photo()]);
    h.advance(DEFAULT_SETTINGS.draftTimeoutMs + MINUTE);
    const late = h.send(h.text('Zimmer / toiture terminée'));
    expect(late.say).toHaveLength(1);
    expect(late.say[0]!.text).toContain('↩️ Reprendre : j’y ajoute ce que tu viens d’envoyer');
    expect(late.say[0]!.keyboard).toBeDefined();
    const resumed = h.send(h.button('reprendre', { messageId: 60 }));
    expect(says(resumed).at(-1)).toBe(texts.received);
    const [report] = reportEffects(resumed.effects);
    expect(report?.report).toMatchObject({ kind: 'fin', chantier: 'Zimmer', text: 'toiture terminée' });
    expect(report?.report.media).toHaveLength(2);
    expect(h.state.draft).toBeUndefined();
    expect(h.state.setAside).toBeUndefined();
  });
});

describe('a report set aside is dropped only by what acts on the report', () => {
  /** A set-aside SAV and a current Fin with 2 photos, both idle past the time-out. */
  function twoReportsWaiting(): ConversationHarness {
    const h = new ConversationHarness({ knownChantiers: ['Müller'] });
    h.send(h.command('sav', 'PAC en défaut E-12'));
    h.advance(DEFAULT_SETTINGS.draftTimeoutMs + MINUTE);
    h.send(h.command('fin'));
    h.sendAll([h.photo(), h.photo()]);
    h.advance(DEFAULT_SETTINGS.draftTimeoutMs + MINUTE);
    expect(h.state.setAside?.kind).toBe('sav');
    expect(h.state.draft?.kind).toBe('fin');
    return h;
  }

  it.each<[string, (h: ConversationHarness) => ReturnType<ConversationHarness['button']>]>([
    ['a dead button', (h) => h.button('report:old-format', { messageId: 12 })],
    ['a 👍 under an old answer', (h) => h.button('afb:7:1', { messageId: 12 })],
    ['an edit', (h) => h.edited('PAC en défaut E-12, vu avec le client')],
    ['a voice note', (h) => h.voice()],
  ])('%s is answered and changes nothing', (_name, event) => {
    const h = twoReportsWaiting();
    const before = h.state;
    const outcome = h.send(event(h));
    expect(says(outcome).join('\n')).not.toMatch(/🗑️|🕒/u);
    expect(outcome.state).toEqual(before);
  });

  it('the next message sets the Fin aside, dropping the older SAV, and says both', () => {
    const h = twoReportsWaiting();
    const outcome = h.send(h.text('Müller / onduleur posé'));
    expect(says(outcome)[0]).toBe(texts.cancelled('Alerte SAV, un texte'));
    expect(h.state.setAside?.kind).toBe('fin');
  });
});

describe('↩️ Reprendre tapped while an album is still coming in', () => {
  it('waits for the album, then takes the set-aside report up: every photo is filed', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller', 'Schmidt'] });
    h.send(h.command('sav', 'PAC en défaut E-12'));
    h.advance(DEFAULT_SETTINGS.draftTimeoutMs + MINUTE);
    h.send(h.command('fin', 'Schmidt / onduleur posé'));
    h.sendAll(h.album('alb-1', 2));
    const early = h.send(h.button('reprendre', { messageId: 77 }));
    expect(says(early)).toEqual([texts.resumeAfterAlbum]);
    expect(early.say[0]!.keyboard).toBeDefined();
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    const closed = h.send(h.albumClosed('alb-1'));
    expect(reportEffects(closed.effects).map((e) => [e.report.chantier, e.report.media.length])).toEqual([
      ['Schmidt', 2],
    ]);
    const resumed = h.send(h.button('reprendre', { messageId: 78 }));
    expect(says(resumed)[0]).toBe(texts.resumed('Alerte SAV, un texte'));
  });
});

describe('an album item that comes after its album closed', () => {
  it('joins the report, and its caption is said back rather than dropped', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller'] });
    h.send(h.command('fin', 'Müller / toiture'));
    h.send(h.photo({ mediaGroupId: 'alb-9' }));
    h.send(h.photo({ mediaGroupId: 'alb-9' }));
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    const closed = h.send(h.albumClosed('alb-9'));
    expect(reportEffects(closed.effects).map((e) => e.report.media.length)).toEqual([2]);
    const late = h.send(h.photo({ mediaGroupId: 'alb-9', caption: 'Müller / onduleur + batterie posés' }));
    expect(late.effects.filter((e) => e.kind === 'report-addition')).toHaveLength(1);
    expect(says(late)).toEqual([texts.lateCaption('Müller / onduleur + batterie posés')]);
  });
});

describe('two texts sent before choosing are not merged', () => {
  it('a Fin photo caption and a material list, then Fin: two reports, the list a Matériel one', () => {
    const h = new ConversationHarness();
    h.send(h.photo({ caption: 'Meyer / onduleur posé' }));
    h.send(h.text('Meyer / - 2 rails - 4 crochets tuile'));
    const chosen = h.send(h.command('fin'));
    const reports = reportEffects(chosen.effects).map((e) => e.report);
    expect(reports).toEqual([
      expect.objectContaining({ kind: 'fin', chantier: 'Meyer', text: 'onduleur posé' }),
      expect.objectContaining({ kind: 'materiel', chantier: 'Meyer', text: '- 2 rails - 4 crochets tuile' }),
    ]);
    expect(says(chosen)[0]).toBe(texts.listSetApart('« Meyer / - 2 rails - 4 crochets tuile »'));
  });
});

describe('slow albums', () => {
  it('four photos 3.5 s apart: no question mid-upload, one report of four', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const all: ReturnType<ConversationHarness['send']>[] = [];
    for (const [index, item] of h.album('slow', 4, { text: 'Müller / toit', on: 0 }).entries()) {
      if (index > 0) h.advance(3500);
      all.push(h.send(item));
      const delay = albumCloseDelay(h.state, 'slow', h.now, DEFAULT_SETTINGS);
      expect(delay, 'the album is still waiting for its next photo').toBeGreaterThan(3500 - 1);
    }
    expect(all.flatMap((o) => o.say)).toEqual([]);
    h.advance(albumCloseDelay(h.state, 'slow', h.now, DEFAULT_SETTINGS)!);
    const [report] = reportEffects(h.send(h.albumClosed('slow')).effects);
    expect(report?.report.media).toHaveLength(4);
  });
});

describe('more than 10 photos', () => {
  it('15 photos as two albums back to back (10 + 5): one report of 15, one answer', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const first = h.album('g10', 10, { text: 'Müller / toiture', on: 0 }).map((e) => h.send(e));
    h.advance(200);
    const second = h.album('g5', 5).map((e) => h.send(e));
    expect([...first, ...second].flatMap((o) => [...o.say, ...reportEffects(o.effects)])).toEqual([]);
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    const closes = [h.send(h.albumClosed('g10')), h.send(h.albumClosed('g5'))];
    expect(closes.flatMap(says)).toEqual([texts.received]);
    const reports = closes.flatMap((o) => reportEffects(o.effects));
    expect(reports.map((r) => r.report.media.length)).toEqual([15]);
  });
});

describe('two albums interleaved in one chat', () => {
  it('« Müller / toiture » and « Schmidt / cave », items alternating: two reports, no photo under the wrong client', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const ids: Record<string, number[]> = { m: [], s: [] };
    for (let index = 0; index < 6; index++) {
      const album = index % 2 === 0 ? 'm' : 's';
      const caption = index < 2 ? (album === 'm' ? 'Müller / toiture' : 'Schmidt / cave') : undefined;
      const event = h.photo({ mediaGroupId: album, ...(caption ? { caption } : {}) });
      ids[album]!.push(event.origin.messageId);
      h.send(event);
    }
    h.advance(DEFAULT_SETTINGS.albumQuietMs);
    h.send(h.albumClosed('m'));
    const closed = h.send(h.albumClosed('s'));
    const reports = reportEffects(closed.effects).map((e) => e.report);
    expect(reports.map((r) => [r.chantier, r.text, r.media.map((m) => m.messageId)])).toEqual([
      ['Müller', 'toiture', ids.m],
      ['Schmidt', 'cave', ids.s],
    ]);
    expect(says(closed)[0]).toBe(texts.albumsSplit(['Müller', 'Schmidt']));
  });
});

describe('any text was taken as the chantier', () => {
  it('« cuivre 28mm et 2 coudes » after « Pour quel chantier ? »: not a chantier until confirmed', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller', 'Koch'] });
    h.send(h.command('materiel'));
    h.send(h.text('- 2 rails - 4 crochets'));
    const answer = h.send(h.text('cuivre 28mm et 2 coudes'));
    expect(reportEffects(answer.effects)).toEqual([]);
    expect(says(answer)).toEqual([texts.confirmChantier('cuivre 28mm et 2 coudes')]);
    expect(answer.say[0]!.keyboard?.flat().at(-1)).toEqual({
      text: '✅ Nouveau : cuivre 28mm et 2 coudes',
      callback_data: chantierChoiceData(0, 'cuivre 28mm et 2 coudes'),
    });
    // The right name typed instead: a known chantier, taken at once.
    const known = h.send(h.text('koch'));
    expect(reportEffects(known.effects).map((e) => e.report.chantier)).toEqual(['Koch']);
  });

  it('a new name is taken on an explicit tap, and only then', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller'] });
    h.send(h.command('sav', 'PAC en défaut E-12'));
    const asked = h.send(h.text('Mueller'));
    const choices = asked.say[0]!.keyboard!.flat();
    expect(choices.map((b) => b.text)).toEqual(['🏠 Müller', '✅ Nouveau : Mueller']);
    const tapped = h.send(h.button(choices[1]!.callback_data, { messageId: 90 }));
    expect(reportEffects(tapped.effects).map((e) => e.report.chantier)).toEqual(['Mueller']);
    // The same button again: the question is closed, and it says so.
    expect(says(h.send(h.button(choices[0]!.callback_data, { messageId: 90 })))).toEqual([texts.staleChoice]);
  });

  it('a chantier button left on an earlier question never answers a later one', () => {
    const h = new ConversationHarness({ knownChantiers: ['Müller', 'Schmidt', 'Meyer'] });
    h.send(h.command('sav', 'PAC en défaut E-12'));
    const first = h.send(h.text('Schmit'));
    const oldButtons = first.say[0]!.keyboard!.flat();
    expect(oldButtons.map((b) => b.text)).toEqual(['🏠 Schmidt', '✅ Nouveau : Schmit']);
    // The exact name typed instead of a tap: the report is made, the buttons stay on message 90.
    const made = h.send(h.text('Schmidt'));
    expect(reportEffects(made.effects).map((e) => e.report.chantier)).toEqual(['Schmidt']);
    h.send(h.command('materiel', '- cuivre 28mm - disconnecteur'));
    const second = h.send(h.text('Meier'));
    expect(second.say[0]!.keyboard!.flat().map((b) => b.text)).toEqual(['🏠 Meyer', '✅ Nouveau : Meier']);
    // « 🏠 Schmidt » tapped on message 90: the open question offers « Meyer » in that place.
    const tapped = h.send(h.button(oldButtons[0]!.callback_data, { messageId: 90 }));
    expect(reportEffects(tapped.effects)).toEqual([]);
    expect(says(tapped)).toEqual([texts.staleChoice]);
    // The question is still open: a tap on its own button answers it.
    const answered = h.send(h.chantierButton(0, { messageId: 95 }));
    expect(reportEffects(answered.effects).map((e) => e.report.chantier)).toEqual(['Meyer']);
  });
});

describe('names: one spelling per chantier', () => {
  it.each(['muller', 'MULLER', 'Muller', 'Müller'])(
    '« %s / PAC en défaut » is filed, carded and announced as « Müller »',
    (typed) => {
      const h = new ConversationHarness({ knownChantiers: ['Müller'] });
      const outcome = h.send(h.command('sav', `${typed} / PAC en défaut`));
      expect(reportEffects(outcome.effects).map((e) => e.report.chantier)).toEqual(['Müller']);
    },
  );
});
