import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Update } from '../../src/telegram/update-schema.ts';
import { chantierChoiceData } from '../../src/conversation/chantier-choice.ts';
import { texts } from '../../src/conversation/texts.ts';
import { rememberChantiers } from '../../src/dispatch/known-chantiers.ts';
import { reportItems, reportMedia } from '../../src/reports/report-store.ts';
import { TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';
import { createTestApp, postUpdate, type TestApp } from '../support/test-app.ts';
import {
  buttonUpdate,
  freshUpdateId,
  GROUP_CHAT,
  PRIVATE_CHAT,
  TECHNICIAN,
  textUpdate,
} from '../support/updates.ts';

/**
 * The technician's three dialogues end to end: the real app (route, dispatch, conversation,
 * job queue, worker with its Telegram handlers) against the local Bot API stand-in. Time only
 * moves when a test moves the clock; the worker only runs when a test drains it.
 */

const SLUG = 'etm-terrain';
const MENU = {
  inline_keyboard: [
    [{ text: '📸 Fin de Chantier', callback_data: 'fin' }],
    [{ text: '⚠️ Alerte SAV', callback_data: 'sav' }],
    [{ text: '📦 Matériel Manquant', callback_data: 'materiel' }],
  ],
};
const GREETING = 'Bonjour Jean 👋 Que veux-tu signaler ?';
const RECEIVED = '⏳ Bien reçu ! J’archive et je préviens le bureau.';
const QUIET_MS = 2500;

let standIn: TelegramStandIn;
let t: TestApp;

async function start(env: Record<string, string> = {}): Promise<void> {
  t = await createTestApp(
    { TELEGRAM_API_URL: standIn.apiUrl, ALBUM_QUIET_MS: String(QUIET_MS), ...env },
    { background: true },
  );
  // The office already has Müller's folders: answering « Müller » needs no confirmation.
  await rememberChantiers(t.db, ['Müller'], t.clock.now);
}

beforeEach(async () => {
  standIn = await TelegramStandIn.start({ now: () => t.clock.now.getTime() });
  await start();
});
afterEach(async () => {
  await t.close();
  await standIn.close();
});

async function post(update: Update, slug = SLUG) {
  const response = await postUpdate(t.app, update, { slug });
  expect(response.statusCode).toBe(200);
  return response.body === '' ? undefined : response.json<{ text: string }>().text;
}

function advance(ms: number): void {
  t.clock.now = new Date(t.clock.now.getTime() + ms);
}

/**
 * Runs every job due now; then, while jobs wait only on the 1 message/s rate limit of a private
 * chat or a short recheck, moves the clock a second and runs again. Returns the calls made.
 */
async function drain(): Promise<{ method: string; params: Record<string, unknown> }[]> {
  const from = standIn.calls.length;
  for (let step = 0; step < 30; step++) {
    await t.background!.worker.runOnce();
    const waiting = await t.db
      .selectFrom('jobs')
      .select('run_at')
      .where('state', 'in', ['pending', 'running'])
      .where('run_at', '<=', t.clock.now.getTime() + 5_000)
      .execute();
    if (waiting.length === 0) break;
    advance(1000);
  }
  return standIn.calls.slice(from).map(({ method, params }) => ({ method, params }));
}

const sent = (calls: { method: string; params: Record<string, unknown> }[]) =>
  calls.filter((c) => c.method === 'sendMessage').map((c) => c.params.text);

/** The stand-in numbers the messages it sends from 1: the last one sent is the menu tapped. */
function lastSentMessageId(): number {
  return standIn.calls.filter((c) => ['sendMessage', 'sendPhoto'].includes(c.method)).length;
}

let photoNumber = 0;
function photoUpdate(fields: { caption?: string; media_group_id?: string } = {}): Update {
  const id = freshUpdateId();
  photoNumber++;
  return {
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(t.clock.now.getTime() / 1000),
      chat: PRIVATE_CHAT,
      from: TECHNICIAN,
      photo: [
        { file_id: `small-${photoNumber}`, file_unique_id: `us-${photoNumber}`, width: 90, height: 67 },
        {
          file_id: `large-${photoNumber}`,
          file_unique_id: `ul-${photoNumber}`,
          width: 1280,
          height: 960,
          file_size: 150_000,
        },
      ],
      ...fields,
    },
  };
}

async function reports() {
  const rows = await t.db.selectFrom('reports').selectAll().orderBy('id').execute();
  return rows.map((row) => ({
    publicId: row.public_id,
    kind: row.kind,
    chantier: row.chantier,
    text: row.text,
    items: reportItems(row),
    technician: row.technician_name,
    media: reportMedia(row).map((m) => m.fileId),
  }));
}

/** /start, then a tap on one of its buttons; returns the calls the tap caused. */
async function startAndTap(data: string) {
  expect(await post(textUpdate('/start'))).toBeUndefined();
  const menu = await drain();
  expect(menu).toEqual([
    { method: 'sendMessage', params: { chat_id: PRIVATE_CHAT.id, text: GREETING, reply_markup: MENU } },
  ]);
  const menuId = lastSentMessageId();
  const tap = buttonUpdate(data, menuId);
  expect(await post(tap)).toBeUndefined();
  return { calls: await drain(), menuId, queryId: tap.callback_query!.id };
}

describe('the three dialogues, from /start to the report', () => {
  it('📸 Fin de chantier: button, photo with its caption, report FIN-0001 and its confirmation', async () => {
    const { calls, menuId, queryId } = await startAndTap('fin');
    expect(calls).toEqual([
      // The answer leaves first (highest priority), then the buttons go, then the prompt.
      { method: 'answerCallbackQuery', params: { callback_query_id: queryId } },
      { method: 'editMessageReplyMarkup', params: { chat_id: PRIVATE_CHAT.id, message_id: menuId } },
      {
        method: 'sendMessage',
        params: {
          chat_id: PRIVATE_CHAT.id,
          text: '📸 Fin de chantier : envoie les photos avec en légende « Client / Notes » (ex. Müller / onduleur + batterie posés).',
        },
      },
    ]);

    expect(await post(photoUpdate({ caption: 'Müller / onduleur + batterie posés' }))).toBe(RECEIVED);
    expect(await reports()).toEqual([
      {
        publicId: 'FIN-0001',
        kind: 'fin',
        chantier: 'Müller',
        text: 'onduleur + batterie posés',
        items: [],
        technician: 'Jean Test',
        media: [`large-${photoNumber}`],
      },
    ]);
    const confirmation = sent(await drain());
    expect(confirmation).toEqual([expect.stringMatching(/^✅ FIN-0001 — Müller\n/u)]);
  });

  it('⚠️ Alerte SAV typed: a description without chantier is kept, only the chantier asked', async () => {
    expect(await post(textUpdate('/sav'))).toBe(
      '⚠️ Alerte SAV : écris « Chantier / Description » (ex. Müller / PAC en défaut E-12). Photos bienvenues.',
    );
    expect(await post(textUpdate('PAC en défaut E-12, plus de chauffage'))).toBe(
      '🏠 Pour quel chantier ? Réponds juste le nom (ex. Müller).',
    );
    expect(await reports()).toEqual([]);
    expect(await post(textUpdate('Müller'))).toBe(RECEIVED);
    expect(await reports()).toEqual([
      {
        publicId: 'SAV-0001',
        kind: 'sav',
        chantier: 'Müller',
        text: 'PAC en défaut E-12, plus de chauffage',
        items: [],
        technician: 'Jean Test',
        media: [],
      },
    ]);
    // Plain lines went back synchronously: nothing reached the Bot API before the confirmation.
    expect(standIn.calls).toEqual([]);
    expect(sent(await drain())).toEqual([expect.stringMatching(/^✅ SAV-0001 — Müller\n/u)]);
  });

  it('📦 Matériel manquant: button, then the list alone, report MAT-0001 with its items', async () => {
    const { calls } = await startAndTap('materiel');
    expect(calls.map((c) => c.method)).toEqual([
      'answerCallbackQuery',
      'editMessageReplyMarkup',
      'sendMessage',
    ]);
    expect(await post(textUpdate('Müller / - cuivre 28mm - disconnecteur - soupape anti-gel'))).toBe(
      RECEIVED,
    );
    expect(await reports()).toEqual([
      {
        publicId: 'MAT-0001',
        kind: 'materiel',
        chantier: 'Müller',
        text: '- cuivre 28mm - disconnecteur - soupape anti-gel',
        items: ['cuivre 28mm', 'disconnecteur', 'soupape anti-gel'],
        technician: 'Jean Test',
        media: [],
      },
    ]);
    expect(sent(await drain())).toEqual([expect.stringMatching(/^✅ MAT-0001 — Müller\n/u)]);
  });

  it('report ids count per kind', async () => {
    for (const chantier of ['Müller', 'Weber']) {
      await post(textUpdate('/materiel'));
      await post(textUpdate(`${chantier} / - vis`));
      advance(1000);
    }
    await post(textUpdate('/sav'));
    await post(textUpdate('Weber / fuite'));
    expect((await reports()).map((r) => r.publicId)).toEqual(['MAT-0001', 'MAT-0002', 'SAV-0001']);
  });
});

describe('albums', () => {
  it('3 photos with the caption on the 2nd become ONE report after the quiet period', async () => {
    await post(textUpdate('/fin'));
    const items = [
      photoUpdate({ media_group_id: 'album-1' }),
      photoUpdate({ media_group_id: 'album-1', caption: 'Müller / toiture terminée' }),
      photoUpdate({ media_group_id: 'album-1' }),
    ];
    expect(await post(items[0]!)).toBeUndefined();
    advance(2000);
    expect(await post(items[1]!)).toBeUndefined();
    expect(await post(items[2]!)).toBeUndefined();

    // The close job (due 2.5 s after the first item) finds a photo 1 s old: it waits for silence,
    // longer for an album whose items came 2 s apart (1.5 × the longest gap).
    advance(1000);
    await t.background!.worker.runOnce();
    expect(await reports()).toEqual([]);

    advance(2000);
    const from = standIn.calls.length;
    await t.background!.worker.runOnce();
    const rows = await reports();
    expect(rows).toEqual([
      expect.objectContaining({
        publicId: 'FIN-0001',
        chantier: 'Müller',
        text: 'toiture terminée',
        media: items.map((u) => u.message!.photo!.at(-1)!.file_id),
      }),
    ]);
    // Decided in the background: the acknowledgement goes through the Bot API, then the confirmation.
    await drain();
    expect(sent(standIn.calls.slice(from))).toEqual([
      RECEIVED,
      expect.stringMatching(/^✅ FIN-0001 — Müller\n/u),
    ]);
  });

  it('⚠️ SAV with an album: photos are optional but kept, one report', async () => {
    await post(textUpdate('/sav'));
    const items = [
      photoUpdate({ media_group_id: 'sav-album', caption: 'Weber / fuite au circulateur' }),
      photoUpdate({ media_group_id: 'sav-album' }),
    ];
    for (const item of items) await post(item);
    advance(QUIET_MS);
    await drain();
    expect(await reports()).toEqual([
      expect.objectContaining({
        publicId: 'SAV-0001',
        chantier: 'Weber',
        text: 'fuite au circulateur',
        media: items.map((u) => u.message!.photo!.at(-1)!.file_id),
      }),
    ]);
  });

  it('a straggler arriving after the close (slow upload) joins the draft; the dialogue goes on', async () => {
    const items = [photoUpdate({ media_group_id: 'slow' }), photoUpdate({ media_group_id: 'slow' })];
    for (const item of items) await post(item);
    advance(QUIET_MS);
    expect(sent(await drain())).toEqual(['📎 2 photos reçues. C’est pour quel rapport ?']);
    advance(5000);
    expect(await post(photoUpdate({ media_group_id: 'slow' }))).toBeUndefined();
    advance(4 * QUIET_MS);
    expect(sent(await drain())).toEqual(['📎 3 photos reçues. C’est pour quel rapport ?']);
    await post(buttonUpdate('fin', lastSentMessageId()));
    expect(sent(await drain())).toEqual([
      '📎 J’ajoute à ce rapport tes 3 photos (/annuler pour tout effacer).\n\n🏠 Quel client ? Réponds par ex. « Müller » ou « Müller / onduleur posé ».',
    ]);
    expect(await post(textUpdate('Müller'))).toBe(RECEIVED);
    expect((await reports())[0]?.media).toHaveLength(3);
  });

  it('photos before choosing the report: kept, the report asked with the buttons', async () => {
    const items = [photoUpdate({ media_group_id: 'a2' }), photoUpdate({ media_group_id: 'a2' })];
    for (const item of items) expect(await post(item)).toBeUndefined();
    advance(QUIET_MS);
    const asked = await drain();
    expect(asked).toEqual([
      {
        method: 'sendMessage',
        params: {
          chat_id: PRIVATE_CHAT.id,
          text: '📎 2 photos reçues. C’est pour quel rapport ?',
          reply_markup: MENU,
        },
      },
    ]);
    const tap = buttonUpdate('fin', lastSentMessageId());
    expect(await post(tap)).toBeUndefined();
    const afterTap = await drain();
    expect(afterTap[0]).toEqual({
      method: 'answerCallbackQuery',
      params: { callback_query_id: tap.callback_query!.id },
    });
    expect(sent(afterTap)).toEqual([
      '📎 J’ajoute à ce rapport tes 2 photos (/annuler pour tout effacer).\n\n🏠 Quel client ? Réponds par ex. « Müller » ou « Müller / onduleur posé ».',
    ]);
    expect(await post(textUpdate('Müller'))).toBe(RECEIVED);
    expect((await reports())[0]).toMatchObject({
      publicId: 'FIN-0001',
      chantier: 'Müller',
      media: ['large-' + String(photoNumber - 1), 'large-' + String(photoNumber)],
    });
  });

  it('a single photo before choosing, its caption in the next text', async () => {
    expect(await post(photoUpdate())).toBeUndefined();
    expect(sent(await drain())).toEqual(['📎 1 photo reçue. C’est pour quel rapport ?']);
    expect(await post(textUpdate('Müller / onduleur posé'))).toBeUndefined();
    expect(sent(await drain())).toEqual(['📎 1 photo et un texte reçus. C’est pour quel rapport ?']);
    await post(buttonUpdate('fin', lastSentMessageId()));
    await drain();
    expect(await reports()).toEqual([
      expect.objectContaining({ publicId: 'FIN-0001', text: 'onduleur posé' }),
    ]);
  });
});

describe('buttons', () => {
  it('a repeated tap on the same menu acts on the report in progress: each tap is answered', async () => {
    await post(textUpdate('/start'));
    await drain();
    const menuId = lastSentMessageId();
    const first = buttonUpdate('sav', menuId);
    const second = buttonUpdate('sav', menuId);
    await post(first);
    await post(second);
    const calls = await drain();
    expect(calls.filter((c) => c.method === 'answerCallbackQuery')).toEqual([
      { method: 'answerCallbackQuery', params: { callback_query_id: first.callback_query!.id } },
      { method: 'answerCallbackQuery', params: { callback_query_id: second.callback_query!.id } },
    ]);
    expect(sent(calls)).toEqual([texts.start.sav, texts.start.sav]);
  });

  it('stale callback_data is answered and changes nothing', async () => {
    const tap = buttonUpdate('report:v0:fin');
    expect(await post(tap)).toBeUndefined();
    expect(await drain()).toEqual([
      {
        method: 'answerCallbackQuery',
        params: {
          callback_query_id: tap.callback_query!.id,
          text: 'Ce bouton n’est plus valable : tape /menu.',
        },
      },
    ]);
  });

  it('taps on an inaccessible message are answered and obeyed, no edit tried', async () => {
    const inaccessible = () => {
      const tap = buttonUpdate('materiel', 9);
      tap.callback_query!.message!.date = 0;
      return tap;
    };
    await post(inaccessible());
    await post(inaccessible());
    const calls = await drain();
    expect(calls.map((c) => c.method).filter((m) => m === 'editMessageReplyMarkup')).toEqual([]);
    expect(sent(calls)).toEqual([texts.start.materiel, texts.start.materiel]);
  });
});

describe('other messages', () => {
  it('a voice message is answered synchronously, an edited one through the Bot API', async () => {
    const voice: Update = {
      update_id: freshUpdateId(),
      message: {
        message_id: 77,
        date: 1774449000,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        voice: { file_id: 'v1', file_unique_id: 'uv1', duration: 3, mime_type: 'audio/ogg' },
      },
    };
    expect(await post(voice)).toBe(
      '🎤 Je ne lis pas les messages vocaux : écris-moi en texte, s’il te plaît.',
    );
    const edited: Update = {
      update_id: freshUpdateId(),
      edited_message: {
        message_id: 78,
        date: 1774449000,
        edit_date: 1774449060,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        text: 'Müller / corrigé',
      },
    };
    expect(await post(edited)).toBeUndefined();
    expect(sent(await drain())).toEqual([
      '✏️ Je ne vois pas les messages modifiés : renvoie le texte corrigé, s’il te plaît.',
    ]);
  });

  it('a repeated update_id is handled once, and answered as the first time', async () => {
    const update = textUpdate('/sav Müller / PAC en défaut');
    expect(await post(update)).toBe(RECEIVED);
    expect(await post(update)).toBe(RECEIVED);
    expect(await reports()).toHaveLength(1);
  });
});

describe('the chantier is confirmed, not guessed', () => {
  it('a new name answered is confirmed with a tap; a known one keeps its spelling on every report', async () => {
    await post(textUpdate('/sav'));
    await post(textUpdate('PAC en défaut E-12'));
    expect(await post(textUpdate('Zimmermann'))).toBeUndefined();
    const asked = await drain();
    expect(asked.at(-1)?.params).toMatchObject({
      text: texts.confirmChantier('Zimmermann'),
      reply_markup: {
        inline_keyboard: [
          [{ text: '✅ Nouveau : Zimmermann', callback_data: chantierChoiceData(0, 'Zimmermann') }],
        ],
      },
    });
    expect(await reports()).toEqual([]);
    await post(buttonUpdate(chantierChoiceData(0, 'Zimmermann'), lastSentMessageId()));
    await drain();
    await post(textUpdate('/sav zimmermann / fuite au circulateur'));
    await drain();
    expect((await reports()).map((r) => r.chantier)).toEqual(['Zimmermann', 'Zimmermann']);
  });
});

describe('time-outs', () => {
  const SET_ASIDE =
    '🕒 Ton rapport en cours (Alerte SAV, un texte) est resté 31 min sans suite : je l’ai mis de côté.';

  it('a draft left 30 min is set aside with resume/abandon buttons, told before the answer to what came next', async () => {
    await post(textUpdate('/sav'));
    await post(textUpdate('PAC en défaut E-12'));
    advance(31 * 60_000);
    // Lines that must arrive in order all go through the Bot API when one of them has buttons.
    expect(await post(textUpdate('/aide'))).toBeUndefined();
    const calls = await drain();
    // One message: the set-aside notice first, with its buttons, then the answer to /aide.
    expect(calls.map((c) => c.params)).toEqual([
      {
        chat_id: PRIVATE_CHAT.id,
        text: `${SET_ASIDE}\n\n${texts.help}`,
        reply_markup: {
          inline_keyboard: [
            [
              { text: '↩️ Reprendre', callback_data: 'reprendre' },
              { text: '🗑️ Abandonner', callback_data: 'abandonner' },
            ],
          ],
        },
      },
    ]);

    const resume = buttonUpdate('reprendre', lastSentMessageId());
    await post(resume);
    expect(sent(await drain())).toEqual([
      '↩️ On reprend : Alerte SAV, un texte.\n\n🏠 Pour quel chantier ? Réponds juste le nom (ex. Müller).',
    ]);
    expect(await post(textUpdate('Müller'))).toBe(RECEIVED);
    expect(await reports()).toEqual([
      expect.objectContaining({ publicId: 'SAV-0001', chantier: 'Müller', text: 'PAC en défaut E-12' }),
    ]);
  });

  it('/annuler of a set-aside draft says what was dropped, synchronously', async () => {
    await post(textUpdate('/sav'));
    await post(textUpdate('PAC en défaut E-12'));
    advance(31 * 60_000);
    await post(textUpdate('/aide'));
    expect(await post(textUpdate('/annuler'))).toBe('🗑️ Annulé. J’ai abandonné : Alerte SAV, un texte.');
    expect(await post(textUpdate('/reprendre'))).toBe('Aucun rapport mis de côté.');
  });
});

describe('who is served', () => {
  it('someone not on the allowlist gets one polite refusal; nothing is recorded but the dedupe mark', async () => {
    await t.close();
    await start({ BOT_ETM_TERRAIN_ALLOWED_USERS: '222222222, 333333333' });
    for (const update of [textUpdate('/start'), photoUpdate({ caption: 'Müller / x' })]) {
      expect(await post(update)).toBe(
        '⛔ Ce bot est réservé aux techniciens d’ETM. Demande au bureau de t’ajouter.',
      );
    }
    expect(await t.db.selectFrom('processed_updates').selectAll().execute()).toHaveLength(2);
    for (const table of ['conversations', 'jobs', 'reports'] as const) {
      expect(await t.db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
    expect(await drain()).toEqual([]);
  });

  it('a stranger tapping a button gets the refusal as the answer to the tap', async () => {
    await t.close();
    await start({ BOT_ETM_TERRAIN_ALLOWED_USERS: '222222222' });
    const tap = buttonUpdate('fin');
    expect(await post(tap)).toBeUndefined();
    expect(await drain()).toEqual([
      {
        method: 'answerCallbackQuery',
        params: {
          callback_query_id: tap.callback_query!.id,
          text: '⛔ Ce bot est réservé aux techniciens d’ETM. Demande au bureau de t’ajouter.',
        },
      },
    ]);
    expect(await t.db.selectFrom('conversations').selectAll().execute()).toEqual([]);
  });

  it('someone on the allowlist is served', async () => {
    await t.close();
    await start({ BOT_ETM_TERRAIN_ALLOWED_USERS: `222222222,${TECHNICIAN.id}` });
    expect(await post(textUpdate('/aide'))).toContain('/fin');
  });

  it('group chats are ignored: empty 200, nothing recorded but the dedupe mark', async () => {
    const group: Update = {
      update_id: freshUpdateId(),
      message: {
        message_id: 5,
        date: 1774449000,
        chat: GROUP_CHAT,
        from: TECHNICIAN,
        photo: photoUpdate().message!.photo!,
      },
    };
    expect(await post(group)).toBeUndefined();
    expect(await t.db.selectFrom('conversations').selectAll().execute()).toEqual([]);
    expect(await drain()).toEqual([]);
  });

  it('the demo bot (no token) answers everything synchronously, buttons as text, and records the report', async () => {
    await t.close();
    t = await createTestApp({ BOTS: '' }, { background: true });
    expect(await post(textUpdate('/start'), 'demo')).toBe(
      `${GREETING}\n[📸 Fin de Chantier] [⚠️ Alerte SAV] [📦 Matériel Manquant]`,
    );
    expect(await post(buttonUpdate('sav'), 'demo')).toBe(
      '⚠️ Alerte SAV : écris « Chantier / Description » (ex. Müller / PAC en défaut E-12). Photos bienvenues.',
    );
    expect(await post(textUpdate('Müller / PAC en défaut'), 'demo')).toBe(RECEIVED);
    expect(await reports()).toEqual([expect.objectContaining({ publicId: 'SAV-0001', chantier: 'Müller' })]);
    const jobs = await t.db.selectFrom('jobs').select('type').execute();
    expect(jobs.filter((job) => job.type.startsWith('telegram.'))).toEqual([]);
    await drain();
    expect(standIn.calls).toEqual([]);
  });
});
