import { describe, expect, it } from 'vitest';
import type { Effect } from '../../src/conversation/outcome.ts';
import { DEFAULT_SETTINGS } from '../../src/conversation/settings.ts';
import type { Draft, DraftMedia } from '../../src/conversation/state.ts';
import { describeDraft, menuKeyboard, setAsideKeyboard, texts } from '../../src/conversation/texts.ts';
import {
  type ConversationEvent,
  feedbackData,
  knownFixChoiceData,
} from '../../src/conversation/transition.ts';
import {
  CHAT_ID,
  ConversationHarness,
  type DraftSummary,
  effectKinds,
  MINUTE,
  reportEffects,
  SLUG,
  type SaySummary,
  START_MS,
  summariseDraft,
  summariseSays,
} from '../support/conversation-harness.ts';

/**
 * The conversation core, state × event. Each state is reached by what a technician would send;
 * each table row says exactly what the technician reads next and what the draft then holds.
 */

type StateName =
  | 'none'
  | 'kindOnly'
  | 'noKind'
  | 'finNoPhoto'
  | 'finNoChantier'
  | 'savNoDescription'
  | 'savNoChantier'
  | 'materielNoItems'
  | 'materielNoChantier'
  | 'openAlbum'
  | 'setAside';

const STATES: Record<StateName, (h: ConversationHarness) => void> = {
  none: () => undefined,
  kindOnly: (h) => h.send(h.command('fin')),
  noKind: (h) => h.send(h.photo()),
  finNoPhoto: (h) => h.sendAll([h.command('fin'), h.text('Müller / onduleur posé')]),
  finNoChantier: (h) => h.sendAll([h.command('fin'), h.photo({ caption: 'onduleur posé' })]),
  savNoDescription: (h) => h.sendAll([h.command('sav'), h.text('Müller /')]),
  savNoChantier: (h) => h.sendAll([h.command('sav'), h.text('PAC en défaut E-12')]),
  materielNoItems: (h) => h.sendAll([h.command('materiel'), h.text('Müller /')]),
  materielNoChantier: (h) => h.sendAll([h.command('materiel'), h.text('- cuivre 28mm - disconnecteur')]),
  openAlbum: (h) => h.sendAll([h.command('fin'), h.photo({ mediaGroupId: 'alb-1' })]),
  setAside: (h) => {
    STATES.finNoChantier(h);
    h.advance(31 * MINUTE);
    h.send(h.command('aide'));
  },
};

const STATE_NAMES = Object.keys(STATES) as StateName[];

function reach(state: StateName): ConversationHarness {
  const h = new ConversationHarness();
  STATES[state](h);
  return h;
}

/** A draft summary with the fields a row does not mention at their empty value. */
const draft = (fields: Partial<DraftSummary>): DraftSummary => ({
  kind: undefined,
  chantier: undefined,
  text: undefined,
  photos: 0,
  awaiting: undefined,
  openAlbums: [],
  ...fields,
});

const FIN_NO_CHANTIER = draft({ kind: 'fin', text: 'onduleur posé', photos: 1, awaiting: 'chantier' });

/** What each state holds: checked once here, so every row below starts from a known place. */
const HOLDS: Record<StateName, { draft: DraftSummary | undefined; setAside: DraftSummary | undefined }> = {
  none: { draft: undefined, setAside: undefined },
  kindOnly: { draft: draft({ kind: 'fin' }), setAside: undefined },
  noKind: { draft: draft({ photos: 1 }), setAside: undefined },
  finNoPhoto: {
    draft: draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé' }),
    setAside: undefined,
  },
  finNoChantier: { draft: FIN_NO_CHANTIER, setAside: undefined },
  savNoDescription: { draft: draft({ kind: 'sav', chantier: 'Müller' }), setAside: undefined },
  savNoChantier: {
    draft: draft({ kind: 'sav', text: 'PAC en défaut E-12', awaiting: 'chantier' }),
    setAside: undefined,
  },
  materielNoItems: { draft: draft({ kind: 'materiel', chantier: 'Müller' }), setAside: undefined },
  materielNoChantier: {
    draft: draft({ kind: 'materiel', text: '- cuivre 28mm - disconnecteur', awaiting: 'chantier' }),
    setAside: undefined,
  },
  openAlbum: { draft: draft({ kind: 'fin', photos: 1, openAlbums: ['alb-1'] }), setAside: undefined },
  setAside: { draft: undefined, setAside: FIN_NO_CHANTIER },
};

const say = (text: string): SaySummary => ({ text });
/** What was sent before choosing, shown back as it joins the report. */
const attached = (inputs: string): SaySummary => say(texts.attached(inputs));
/** A report in progress changed to another kind says so. */
const switched = (kind: 'fin' | 'sav' | 'materiel', state: StateName): SaySummary => {
  const h = reach(state);
  return say(texts.switched(kind, describeDraft(h.state.draft!)));
};
const sayMenu = (text: string): SaySummary => ({ text, keyboard: 'menu' });
const RECEIVED = [say(texts.received)];

describe('the states the tables start from', () => {
  it.each(STATE_NAMES)('%s holds what the technician sent', (name) => {
    const h = reach(name);
    expect(summariseDraft(h.state.draft)).toEqual(HOLDS[name].draft);
    expect(summariseDraft(h.state.setAside)).toEqual(HOLDS[name].setAside);
  });
});

describe('events that change nothing, in every state', () => {
  type Inert = [name: string, make: (h: ConversationHarness) => ConversationEvent, says: SaySummary[]];
  const inert: Inert[] = [
    ['/start', (h) => h.command('start'), [sayMenu('Bonjour Jean 👋 Que veux-tu signaler ?')]],
    ['/menu', (h) => h.command('menu'), [sayMenu('Bonjour Jean 👋 Que veux-tu signaler ?')]],
    ['/aide', (h) => h.command('aide'), [say(texts.help)]],
    ['/help', (h) => h.command('help'), [say(texts.help)]],
    ['an unknown command', (h) => h.command('photo'), [say('Commande /photo inconnue. Tape /aide.')]],
    ['a voice message', (h) => h.voice(), [say(texts.voice)]],
    ['an edited message', (h) => h.edited('Müller / corrigé'), [say(texts.edited)]],
    ['a sticker or location', (h) => h.other(), [say(texts.notUnderstood)]],
    [
      'a document that is not an image',
      (h) => h.document({ image: 'not-image', mimeType: 'application/pdf', fileName: 'devis.pdf' }),
      [say('📄 « devis.pdf » n’est pas une photo : je ne peux pas l’archiver. Envoie-la en photo.')],
    ],
    [
      'a document that is not an image, without a name',
      (h) => h.document({ image: 'not-image', mimeType: 'application/zip' }),
      [say(texts.notAnImage('ce fichier'))],
    ],
    ['the close of an album it does not hold', (h) => h.albumClosed('other-album'), []],
  ];
  const cases = inert.flatMap(([event, make, says]) =>
    STATE_NAMES.map((state) => [event, state, make, says] as const),
  );

  it.each(cases)('%s in state %s', (_event, state, make, says) => {
    const h = reach(state);
    const before = h.state;
    const outcome = h.send(make(h));
    // The menu names what waits for a report, and the report still open, so that nothing is
    // ever attached unseen.
    const menu = says[0]?.keyboard === 'menu';
    const open = h.state.draft?.kind ? describeDraft(h.state.draft) : undefined;
    const expected =
      menu && state === 'noKind'
        ? [sayMenu(texts.greeting('Jean', 'ta photo'))]
        : menu && open
          ? [sayMenu(texts.greetingInProgress('Jean', open))]
          : says;
    expect(summariseSays(outcome.say)).toEqual(expected);
    expect(outcome.effects).toEqual([]);
    expect(outcome.state).toEqual(before);
  });
});

describe('choosing the report: /fin, /sav, /materiel', () => {
  type Row = [state: StateName, says: SaySummary[], after: DraftSummary | undefined];
  const fin: Row[] = [
    ['none', [say(texts.start.fin)], draft({ kind: 'fin' })],
    ['kindOnly', [say(texts.start.fin)], draft({ kind: 'fin' })],
    [
      'noKind',
      [attached('ta photo'), say(texts.missing.finChantier)],
      draft({ kind: 'fin', photos: 1, awaiting: 'chantier' }),
    ],
    ['finNoPhoto', [say(texts.missing.photo)], HOLDS.finNoPhoto.draft],
    ['finNoChantier', [say(texts.missing.finChantier)], FIN_NO_CHANTIER],
    [
      'savNoDescription',
      [switched('fin', 'savNoDescription'), say(texts.missing.photo)],
      draft({ kind: 'fin', chantier: 'Müller' }),
    ],
    [
      'savNoChantier',
      [switched('fin', 'savNoChantier'), say(texts.missing.photo)],
      draft({ kind: 'fin', text: 'PAC en défaut E-12' }),
    ],
    [
      'materielNoItems',
      [switched('fin', 'materielNoItems'), say(texts.missing.photo)],
      draft({ kind: 'fin', chantier: 'Müller' }),
    ],
    [
      'materielNoChantier',
      [switched('fin', 'materielNoChantier'), say(texts.missing.photo)],
      draft({ kind: 'fin', text: '- cuivre 28mm - disconnecteur' }),
    ],
    // The album is still arriving: the question waits for its close, and the tap is answered.
    ['openAlbum', [say(texts.albumStillComing)], HOLDS.openAlbum.draft],
    ['setAside', [say(texts.start.fin)], draft({ kind: 'fin' })],
  ];
  const sav: Row[] = [
    ['none', [say(texts.start.sav)], draft({ kind: 'sav' })],
    ['kindOnly', [say(texts.start.sav)], draft({ kind: 'sav' })],
    ['noKind', [attached('ta photo'), say(texts.missing.savDescription)], draft({ kind: 'sav', photos: 1 })],
    [
      'finNoChantier',
      [switched('sav', 'finNoChantier'), say(texts.missing.savChantier)],
      { ...FIN_NO_CHANTIER, kind: 'sav' },
    ],
    ['savNoDescription', [say(texts.missing.savDescription)], HOLDS.savNoDescription.draft],
    ['savNoChantier', [say(texts.missing.savChantier)], HOLDS.savNoChantier.draft],
    [
      'materielNoItems',
      [switched('sav', 'materielNoItems'), say(texts.missing.savDescription)],
      draft({ kind: 'sav', chantier: 'Müller' }),
    ],
    [
      'materielNoChantier',
      [switched('sav', 'materielNoChantier'), say(texts.missing.savChantier)],
      draft({ kind: 'sav', text: '- cuivre 28mm - disconnecteur', awaiting: 'chantier' }),
    ],
    [
      'openAlbum',
      [switched('sav', 'openAlbum'), say(texts.albumStillComing)],
      { ...HOLDS.openAlbum.draft!, kind: 'sav' },
    ],
    ['setAside', [say(texts.start.sav)], draft({ kind: 'sav' })],
  ];
  const materiel: Row[] = [
    ['none', [say(texts.start.materiel)], draft({ kind: 'materiel' })],
    [
      'noKind',
      [attached('ta photo'), say(texts.missing.materielItems)],
      draft({ kind: 'materiel', photos: 1 }),
    ],
    [
      'finNoChantier',
      [switched('materiel', 'finNoChantier'), say(texts.missing.materielChantier)],
      { ...FIN_NO_CHANTIER, kind: 'materiel' },
    ],
    [
      'savNoChantier',
      [switched('materiel', 'savNoChantier'), say(texts.missing.materielChantier)],
      draft({ kind: 'materiel', text: 'PAC en défaut E-12', awaiting: 'chantier' }),
    ],
    ['materielNoItems', [say(texts.missing.materielItems)], HOLDS.materielNoItems.draft],
    ['materielNoChantier', [say(texts.missing.materielChantier)], HOLDS.materielNoChantier.draft],
    ['setAside', [say(texts.start.materiel)], draft({ kind: 'materiel' })],
  ];
  const rows = [
    ...fin.map((row) => ['fin', ...row] as const),
    ...sav.map((row) => ['sav', ...row] as const),
    ...materiel.map((row) => ['materiel', ...row] as const),
  ];

  it.each(rows)('/%s in state %s', (kind, state, says, after) => {
    const h = reach(state);
    const outcome = h.send(h.command(kind));
    expect(summariseSays(outcome.say)).toEqual(says);
    expect(outcome.effects).toEqual([]);
    expect(summariseDraft(outcome.state.draft)).toEqual(after);
    expect(summariseDraft(outcome.state.setAside)).toEqual(HOLDS[state].setAside);
  });

  it.each(rows)(
    'the %s button in state %s does what the command does, after the answer',
    (kind, state, says, after) => {
      const h = reach(state);
      const outcome = h.send(h.button(kind, { messageId: 77 }));
      expect(summariseSays(outcome.say)).toEqual(says);
      expect(effectKinds(outcome.effects)).toEqual([
        'job:telegram.answer-callback',
        'job:telegram.edit-reply-markup',
      ]);
      expect(summariseDraft(outcome.state.draft)).toEqual(after);
    },
  );

  it.each([
    ['sav', 'Müller / PAC en défaut E-12', RECEIVED, undefined],
    ['materiel', 'Müller / - cuivre 28mm - vis', RECEIVED, undefined],
    [
      'fin',
      'Müller / onduleur posé',
      [say(texts.missing.photo)],
      draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé' }),
    ],
    [
      'sav',
      'PAC en défaut',
      [say(texts.missing.savChantier)],
      draft({ kind: 'sav', text: 'PAC en défaut', awaiting: 'chantier' }),
    ],
  ] as const)('/%s typed with its text («%s») keeps the text', (kind, args, says, after) => {
    const h = new ConversationHarness();
    const outcome = h.send(h.command(kind, args));
    expect(summariseSays(outcome.say)).toEqual(says);
    expect(summariseDraft(outcome.state.draft)).toEqual(after);
    if (after === undefined) {
      expect(reportEffects(outcome.effects).map((e) => [e.report.kind, e.report.chantier])).toEqual([
        [kind, 'Müller'],
      ]);
    }
  });

  it('/fin with the client name answers the question asked', () => {
    const h = reach('finNoChantier');
    const outcome = h.send(h.command('fin', 'Müller'));
    expect(reportEffects(outcome.effects).map((e) => [e.report.chantier, e.report.text])).toEqual([
      ['Müller', 'onduleur posé'],
    ]);
  });

  it.each([
    ['finNoPhoto', 'sav', 'Müller', 'onduleur posé'],
    ['finNoPhoto', 'materiel', 'Müller', 'onduleur posé'],
  ] as const)(
    'changing %s to %s completes it when it already holds what the new kind needs',
    (state, kind, chantier, text) => {
      const h = reach(state);
      const outcome = h.send(h.command(kind));
      expect(summariseSays(outcome.say)).toEqual([switched(kind, state), ...RECEIVED]);
      expect(reportEffects(outcome.effects).map((e) => e.report)).toEqual([
        expect.objectContaining({ kind, chantier, text, media: [] }),
      ]);
      expect(outcome.state.draft).toBeUndefined();
    },
  );
});

describe('texts', () => {
  type Row = [
    state: StateName,
    says: SaySummary[],
    after: DraftSummary | undefined,
    report?: { kind: string; chantier: string; text: string; photos: number },
  ];
  const WHICH_TEXT = [sayMenu('📎 Texte reçu. C’est pour quel rapport ?')];

  // A text after photos we asked about is acknowledged, and the question asked again.
  const WHICH_PHOTO_TEXT = [sayMenu('📎 1 photo et un texte reçus. C’est pour quel rapport ?')];
  const withSlash: Row[] = [
    ['none', WHICH_TEXT, draft({ chantier: 'Müller', text: 'onduleur posé' })],
    ['noKind', WHICH_PHOTO_TEXT, draft({ chantier: 'Müller', text: 'onduleur posé', photos: 1 })],
    [
      'kindOnly',
      [say(texts.missing.photo)],
      draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé' }),
    ],
    [
      'finNoPhoto',
      [say(texts.missing.photo)],
      draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé\nonduleur posé' }),
    ],
    [
      'finNoChantier',
      RECEIVED,
      undefined,
      { kind: 'fin', chantier: 'Müller', text: 'onduleur posé\nonduleur posé', photos: 1 },
    ],
    [
      'savNoDescription',
      RECEIVED,
      undefined,
      { kind: 'sav', chantier: 'Müller', text: 'onduleur posé', photos: 0 },
    ],
    [
      'savNoChantier',
      RECEIVED,
      undefined,
      { kind: 'sav', chantier: 'Müller', text: 'PAC en défaut E-12\nonduleur posé', photos: 0 },
    ],
    [
      'materielNoItems',
      RECEIVED,
      undefined,
      { kind: 'materiel', chantier: 'Müller', text: 'onduleur posé', photos: 0 },
    ],
    [
      'materielNoChantier',
      RECEIVED,
      undefined,
      {
        kind: 'materiel',
        chantier: 'Müller',
        text: '- cuivre 28mm - disconnecteur\nonduleur posé',
        photos: 0,
      },
    ],
    [
      'openAlbum',
      [say(texts.albumStillComing)],
      draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé', photos: 1, openAlbums: ['alb-1'] }),
    ],
    ['setAside', WHICH_TEXT, draft({ chantier: 'Müller', text: 'onduleur posé' })],
  ];

  // Without a slash, the text is the answer when we asked for the chantier, else the text.
  const withoutSlash: Row[] = [
    ['none', WHICH_TEXT, draft({ text: 'Müller' })],
    ['noKind', WHICH_PHOTO_TEXT, draft({ text: 'Müller', photos: 1 })],
    ['kindOnly', [say(texts.missing.photo)], draft({ kind: 'fin', text: 'Müller' })],
    [
      'finNoChantier',
      RECEIVED,
      undefined,
      { kind: 'fin', chantier: 'Müller', text: 'onduleur posé', photos: 1 },
    ],
    ['savNoDescription', RECEIVED, undefined, { kind: 'sav', chantier: 'Müller', text: 'Müller', photos: 0 }],
    [
      'savNoChantier',
      RECEIVED,
      undefined,
      { kind: 'sav', chantier: 'Müller', text: 'PAC en défaut E-12', photos: 0 },
    ],
    [
      'materielNoChantier',
      RECEIVED,
      undefined,
      { kind: 'materiel', chantier: 'Müller', text: '- cuivre 28mm - disconnecteur', photos: 0 },
    ],
  ];

  // A list is never taken for a chantier: the question is asked again.
  const list: Row[] = [
    ['none', WHICH_TEXT, draft({ text: '- tube 16mm - raccord' })],
    ['noKind', WHICH_PHOTO_TEXT, draft({ text: '- tube 16mm - raccord', photos: 1 })],
    [
      'materielNoItems',
      RECEIVED,
      undefined,
      { kind: 'materiel', chantier: 'Müller', text: '- tube 16mm - raccord', photos: 0 },
    ],
    [
      'materielNoChantier',
      [say(texts.missing.materielChantier)],
      draft({
        kind: 'materiel',
        text: '- cuivre 28mm - disconnecteur\n- tube 16mm - raccord',
        awaiting: 'chantier',
      }),
    ],
    [
      'savNoChantier',
      [say(texts.missing.savChantier)],
      draft({ kind: 'sav', text: 'PAC en défaut E-12\n- tube 16mm - raccord', awaiting: 'chantier' }),
    ],
    [
      'finNoChantier',
      [say(texts.missing.finChantier)],
      { ...FIN_NO_CHANTIER, text: 'onduleur posé\n- tube 16mm - raccord' },
    ],
  ];

  type Case = [input: string, ...Row];
  const rows: Case[] = [
    ...withSlash.map((row): Case => ['Müller / onduleur posé', ...row]),
    ...withoutSlash.map((row): Case => ['Müller', ...row]),
    ...list.map((row): Case => ['- tube 16mm - raccord', ...row]),
  ];

  it.each(rows)('«%s» in state %s', (input, state, says, after, report) => {
    const h = reach(state);
    const outcome = h.send(h.text(input));
    expect(summariseSays(outcome.say)).toEqual(says);
    expect(summariseDraft(outcome.state.draft)).toEqual(after);
    expect(summariseDraft(outcome.state.setAside)).toEqual(HOLDS[state].setAside);
    const reports = reportEffects(outcome.effects).map((e) => ({
      kind: e.report.kind,
      chantier: e.report.chantier,
      text: e.report.text,
      photos: e.report.media.length,
    }));
    expect(reports).toEqual(report ? [report] : []);
    expect(outcome.effects).toHaveLength(reports.length);
  });

  it('photos first, the caption in the next text, then the report chosen: one report', () => {
    const h = new ConversationHarness();
    h.sendAll([h.photo(), h.photo()]);
    const texted = h.send(h.text('Müller / onduleur + batterie posés'));
    expect(summariseSays(texted.say)).toEqual([
      sayMenu('📎 2 photos et un texte reçus. C’est pour quel rapport ?'),
    ]);
    const chosen = h.send(h.button('fin', { messageId: 90 }));
    expect(summariseSays(chosen.say)).toEqual([
      attached('tes 2 photos et « Müller / onduleur + batterie posés »'),
      ...RECEIVED,
    ]);
    expect(
      reportEffects(chosen.effects).map((e) => [e.report.chantier, e.report.text, e.report.media.length]),
    ).toEqual([['Müller', 'onduleur + batterie posés', 2]]);
  });

  it('a SAV description without a slash is kept and only the chantier is asked', () => {
    const h = new ConversationHarness();
    h.send(h.command('sav'));
    const asked = h.send(h.text('PAC en défaut E-12, plus de chauffage'));
    expect(summariseSays(asked.say)).toEqual([
      say('🏠 Pour quel chantier ? Réponds juste le nom (ex. Müller).'),
    ]);
    const done = h.send(h.text('  Müller  '));
    expect(reportEffects(done.effects).map((e) => e.report)).toEqual([
      {
        kind: 'sav',
        chantier: 'Müller',
        text: 'PAC en défaut E-12, plus de chauffage',
        media: [],
        technician: { userId: CHAT_ID, name: 'Jean Test' },
        chatId: CHAT_ID,
      },
    ]);
  });

  it('a material list alone (text only) is a complete report', () => {
    const h = new ConversationHarness();
    h.send(h.command('materiel'));
    const done = h.send(h.text('Müller / - cuivre 28mm - disconnecteur - soupape anti-gel'));
    expect(summariseSays(done.say)).toEqual(RECEIVED);
    expect(reportEffects(done.effects).map((e) => e.report)).toEqual([
      expect.objectContaining({
        kind: 'materiel',
        chantier: 'Müller',
        text: '- cuivre 28mm - disconnecteur - soupape anti-gel',
        media: [],
      }),
    ]);
  });
});

describe('photos and image documents', () => {
  type Row = [state: StateName, says: SaySummary[], after: DraftSummary | undefined, reportPhotos?: number];
  const WHICH_ONE = [sayMenu('📎 1 photo reçue. C’est pour quel rapport ?')];

  const single: Row[] = [
    ['none', WHICH_ONE, draft({ photos: 1 })],
    ['kindOnly', [say(texts.missing.finChantier)], draft({ kind: 'fin', photos: 1, awaiting: 'chantier' })],
    // Every message is answered: a second single photo is counted in the question again.
    ['noKind', [sayMenu('📎 2 photos reçues. C’est pour quel rapport ?')], draft({ photos: 2 })],
    ['finNoPhoto', RECEIVED, undefined, 1],
    ['finNoChantier', [say(texts.missing.finChantier)], { ...FIN_NO_CHANTIER, photos: 2 }],
    [
      'savNoDescription',
      [say(texts.missing.savDescription)],
      draft({ kind: 'sav', chantier: 'Müller', photos: 1 }),
    ],
    ['savNoChantier', [say(texts.missing.savChantier)], { ...HOLDS.savNoChantier.draft!, photos: 1 }],
    [
      'materielNoItems',
      [say(texts.missing.materielItems)],
      draft({ kind: 'materiel', chantier: 'Müller', photos: 1 }),
    ],
    [
      'materielNoChantier',
      [say(texts.missing.materielChantier)],
      { ...HOLDS.materielNoChantier.draft!, photos: 1 },
    ],
    ['openAlbum', [say(texts.albumStillComing)], { ...HOLDS.openAlbum.draft!, photos: 2 }],
    ['setAside', WHICH_ONE, draft({ photos: 1 })],
  ];

  const captioned: Row[] = [
    [
      'none',
      [sayMenu('📎 1 photo et un texte reçus. C’est pour quel rapport ?')],
      draft({ chantier: 'Müller', text: 'onduleur posé', photos: 1 }),
    ],
    [
      'noKind',
      [sayMenu('📎 2 photos et un texte reçus. C’est pour quel rapport ?')],
      draft({ chantier: 'Müller', text: 'onduleur posé', photos: 2 }),
    ],
    ['kindOnly', RECEIVED, undefined, 1],
    ['finNoChantier', RECEIVED, undefined, 2],
    ['savNoDescription', RECEIVED, undefined, 1],
    ['materielNoChantier', RECEIVED, undefined, 1],
    [
      'openAlbum',
      [say(texts.albumStillComing)],
      draft({ kind: 'fin', chantier: 'Müller', text: 'onduleur posé', photos: 2, openAlbums: ['alb-1'] }),
    ],
  ];

  it.each(single)('a photo in state %s', (state, says, after, reportPhotos) => {
    const h = reach(state);
    const outcome = h.send(h.photo());
    expect(summariseSays(outcome.say)).toEqual(says);
    expect(summariseDraft(outcome.state.draft)).toEqual(after);
    expect(reportEffects(outcome.effects).map((e) => e.report.media.length)).toEqual(
      reportPhotos === undefined ? [] : [reportPhotos],
    );
  });

  it.each(captioned)(
    'a photo captioned «Müller / onduleur posé» in state %s',
    (state, says, after, reportPhotos) => {
      const h = reach(state);
      const outcome = h.send(h.photo({ caption: 'Müller / onduleur posé' }));
      expect(summariseSays(outcome.say)).toEqual(says);
      expect(summariseDraft(outcome.state.draft)).toEqual(after);
      expect(reportEffects(outcome.effects).map((e) => e.report.media.length)).toEqual(
        reportPhotos === undefined ? [] : [reportPhotos],
      );
    },
  );

  it('keeps what the archive needs of each photo, in message order', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.send(h.photo({ messageId: 205 }));
    h.advance(90_000);
    const outcome = h.send(h.photo({ messageId: 203, caption: 'Müller / fini' }));
    const [report] = reportEffects(outcome.effects);
    expect(report!.report.media).toEqual<DraftMedia[]>([
      {
        fileId: 'photo-203',
        fileUniqueId: 'unique-203',
        messageId: 203,
        date: START_MS / 1000 + 90,
        source: 'photo',
        mimeType: 'image/jpeg',
        fileName: undefined,
        fileSize: 1203,
        mediaGroupId: undefined,
      },
      expect.objectContaining({ messageId: 205, date: START_MS / 1000 }),
    ]);
  });

  it('keeps the same photo once when Telegram delivers its message twice', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.send(h.photo({ messageId: 300 }));
    const outcome = h.send(h.photo({ messageId: 300 }));
    expect(outcome.state.draft?.media).toHaveLength(1);
  });

  it.each([
    ['an image document (mime type)', { image: 'image', mimeType: 'image/png', fileName: 'toit.png' }],
    [
      'a document to be checked from its bytes',
      { image: 'unknown', mimeType: 'application/octet-stream', fileName: 'IMG_0042' },
    ],
  ] as const)('%s is kept like a photo, marked as a document', (_name, options) => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const outcome = h.send(h.document({ ...options, caption: 'Müller / toit' }));
    expect(summariseSays(outcome.say)).toEqual(RECEIVED);
    const [report] = reportEffects(outcome.effects);
    expect(report!.report.media).toEqual([
      expect.objectContaining({
        source: 'document',
        mimeType: options.mimeType,
        fileName: options.fileName,
        fileSize: 5000,
      }),
    ]);
  });

  it('a document that is not an image is not kept, and its caption neither goes to a report', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const outcome = h.send(
      h.document({ image: 'not-image', mimeType: 'application/pdf', fileName: 'devis.pdf', caption: 'x' }),
    );
    expect(outcome.state.draft?.media).toEqual([]);
    expect(outcome.effects).toEqual([]);
  });
});

describe('albums', () => {
  const QUIET = DEFAULT_SETTINGS.albumQuietMs;

  function albumCloseJob(effects: readonly Effect[]) {
    return effects.filter((e) => e.kind === 'job' && e.job === 'conversation.album-close');
  }

  it('the first item schedules the close after the quiet period; later items add silently', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const [first, second, third] = h.album('g1', 3, { text: 'Müller / onduleur', on: 1 });
    const one = h.send(first!);
    expect(one.say).toEqual([]);
    expect(one.effects).toEqual([
      {
        kind: 'job',
        job: 'conversation.album-close',
        key: expect.stringMatching(/^album-close:g1/),
        scope: 'conversation',
        payload: { slug: SLUG, chatId: CHAT_ID, userId: CHAT_ID, mediaGroupId: 'g1' },
        runAt: START_MS + QUIET,
      },
    ]);
    h.advance(1000);
    const two = h.send(second!);
    h.advance(1000);
    const three = h.send(third!);
    for (const later of [two, three]) {
      expect(later.say).toEqual([]);
      expect(later.effects).toEqual([]);
    }
    expect(h.draft?.openAlbums).toEqual([
      { mediaGroupId: 'g1', lastItemAt: START_MS + 2000, count: 3, longestGapMs: 1000 },
    ]);
    // The caption waits for the whole album: another album may name another chantier.
    expect(summariseDraft(h.draft)).toEqual(draft({ kind: 'fin', photos: 3, openAlbums: ['g1'] }));
    expect(h.draft?.albumCaptions).toEqual([{ mediaGroupId: 'g1', text: 'Müller / onduleur' }]);
  });

  it('its close makes ONE report of every item, whichever carried the caption', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.sendAll(h.album('g1', 3, { text: 'Müller / onduleur + batterie', on: 1 }));
    h.advance(QUIET);
    const closed = h.send(h.albumClosed('g1'));
    expect(summariseSays(closed.say)).toEqual(RECEIVED);
    const reports = reportEffects(closed.effects);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.report).toEqual(
      expect.objectContaining({ kind: 'fin', chantier: 'Müller', text: 'onduleur + batterie' }),
    );
    expect(reports[0]!.report.media.map((m) => m.mediaGroupId)).toEqual(['g1', 'g1', 'g1']);
    expect(h.state.closedAlbums).toEqual([
      { mediaGroupId: 'g1', reportKey: reports[0]!.key, closedAt: START_MS + QUIET },
    ]);
  });

  it('photos before choosing: the close asks which report once, with the buttons', () => {
    const h = new ConversationHarness();
    h.sendAll(h.album('g1', 4));
    const closed = h.send(h.albumClosed('g1'));
    expect(closed.say).toEqual([
      { text: '📎 4 photos reçues. C’est pour quel rapport ?', keyboard: menuKeyboard },
    ]);
    const chosen = h.send(h.button('fin'));
    expect(summariseSays(chosen.say)).toEqual([attached('tes 4 photos'), say(texts.missing.finChantier)]);
    const done = h.send(h.text('Müller'));
    expect(reportEffects(done.effects)[0]!.report.media).toHaveLength(4);
  });

  it('the 10th item does not close the album: a phone sends 15 photos as 10 + 5, one report', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const first = h.album('g1', 10, { text: 'Müller / toiture', on: 0 });
    const outcomes = first.map((item) => h.send(item));
    expect(outcomes.flatMap((o) => o.say)).toEqual([]);
    expect(outcomes.flatMap((o) => reportEffects(o.effects))).toEqual([]);
    h.advance(300);
    h.sendAll(h.album('g2', 5));
    h.advance(QUIET);
    expect(h.send(h.albumClosed('g1')).say).toEqual([]);
    const closed = h.send(h.albumClosed('g2'));
    expect(summariseSays(closed.say)).toEqual(RECEIVED);
    expect(reportEffects(closed.effects)[0]!.report.media).toHaveLength(15);
  });

  it('an item arriving after its report was created joins that report', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.sendAll(h.album('g1', 2, { text: 'Müller / ok', on: 0 }));
    const closed = h.send(h.albumClosed('g1'));
    const key = reportEffects(closed.effects)[0]!.key;
    h.advance(4000);
    const late = h.photo({ mediaGroupId: 'g1' });
    const outcome = h.send(late);
    expect(outcome.say).toEqual([]);
    expect(outcome.effects).toEqual([
      {
        kind: 'report-addition',
        reportKey: key,
        media: [expect.objectContaining({ messageId: late.origin.messageId, mediaGroupId: 'g1' })],
      },
    ]);
    expect(outcome.state.draft).toBeUndefined();
  });

  it('a straggler after a close that made no report joins the draft: the dialogue goes on', () => {
    const h = new ConversationHarness();
    h.sendAll(h.album('g1', 3, { text: 'Müller / onduleur', on: 1 }));
    h.advance(QUIET);
    h.send(h.albumClosed('g1'));
    h.advance(4000);
    const late = h.send(h.photo({ mediaGroupId: 'g1' }));
    // The album opens again in the draft: it is answered once it is in, with the count.
    expect(late.say).toEqual([]);
    h.advance(4 * QUIET);
    expect(summariseSays(h.send(h.albumClosed('g1')).say)).toEqual([
      sayMenu('📎 4 photos et un texte reçus. C’est pour quel rapport ?'),
    ]);
    const chosen = h.send(h.button('fin'));
    expect(summariseSays(chosen.say)).toEqual([
      attached('tes 4 photos et « Müller / onduleur »'),
      ...RECEIVED,
    ]);
    expect(reportEffects(chosen.effects)[0]!.report.media).toHaveLength(4);
  });

  it('a straggler while the chantier is asked gets the question again', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.sendAll(h.album('g1', 2));
    expect(summariseSays(h.send(h.albumClosed('g1')).say)).toEqual([say(texts.missing.finChantier)]);
    h.send(h.photo({ mediaGroupId: 'g1' }));
    expect(summariseSays(h.send(h.albumClosed('g1')).say)).toEqual([say(texts.missing.finChantier)]);
    expect(h.draft?.openAlbums).toEqual([]);
    expect(reportEffects(h.send(h.text('Müller')).effects)[0]!.report.media).toHaveLength(3);
  });

  it('the same album opening again in a later draft gets a close job of its own', () => {
    const h = new ConversationHarness();
    const first = h.send(h.photo({ mediaGroupId: 'g1' }));
    h.send(h.command('annuler'));
    h.advance(1000);
    const again = h.send(h.photo({ mediaGroupId: 'g1' }));
    const keys = [...albumCloseJob(first.effects), ...albumCloseJob(again.effects)].map((e) => e.key);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it('two albums in one draft each close on their own', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    const a = h.send(h.photo({ mediaGroupId: 'a' }));
    const b = h.send(h.photo({ mediaGroupId: 'b' }));
    expect(albumCloseJob(a.effects)).toHaveLength(1);
    expect(albumCloseJob(b.effects)).toHaveLength(1);
    expect(h.send(h.albumClosed('a')).say).toEqual([]);
    expect(summariseSays(h.send(h.albumClosed('b')).say)).toEqual([say(texts.missing.finChantier)]);
  });

  it('/annuler during an album drops it; its close then does nothing', () => {
    const h = reach('openAlbum');
    const cancelled = h.send(h.command('annuler'));
    expect(summariseSays(cancelled.say)).toEqual([
      say('🗑️ Annulé. J’ai abandonné : Fin de chantier, 1 photo.'),
    ]);
    expect(h.send(h.albumClosed('alb-1'))).toEqual({ state: h.state, say: [], effects: [] });
  });
});

describe('buttons', () => {
  it('answers the callback first, removes the buttons of the tapped message, then prompts', () => {
    const h = new ConversationHarness();
    const tap = h.button('sav', { messageId: 42 });
    const outcome = h.send(tap);
    expect(outcome.effects).toEqual([
      {
        kind: 'job',
        job: 'telegram.answer-callback',
        key: 'answer',
        scope: 'update',
        payload: { slug: SLUG, callbackQueryId: tap.kind === 'button' ? tap.callbackQueryId : '' },
      },
      {
        kind: 'job',
        job: 'telegram.edit-reply-markup',
        key: 'remove-buttons',
        scope: 'update',
        payload: { slug: SLUG, chatId: CHAT_ID, messageId: 42 },
      },
    ]);
    expect(outcome.say).toEqual([{ text: texts.start.sav }]);
  });

  it.each(STATE_NAMES)('unknown or stale callback_data in state %s: answered, nothing else', (state) => {
    const h = reach(state);
    const before = h.state;
    const outcome = h.send(h.button('report:old-format'));
    expect(outcome.say).toEqual([]);
    expect(outcome.effects).toEqual([
      {
        kind: 'job',
        job: 'telegram.answer-callback',
        key: 'answer',
        scope: 'update',
        payload: {
          slug: SLUG,
          callbackQueryId: expect.any(String),
          text: 'Ce bouton n’est plus valable : tape /menu.',
        },
      },
    ]);
    expect(outcome.state).toEqual(before);
  });

  it.each(STATE_NAMES)(
    '👍 on an assistant answer in state %s: thanked, recorded, draft untouched',
    (state) => {
      const h = reach(state);
      const draftBefore = h.state.draft;
      const outcome = h.send(h.button(feedbackData(7, true), { messageId: 77 }));
      expect(outcome.say).toEqual([]);
      expect(effectKinds(outcome.effects)).toEqual([
        'job:telegram.answer-callback',
        'job:telegram.edit-reply-markup',
        'feedback:helpful',
      ]);
      expect(outcome.effects[0]).toMatchObject({ payload: { text: texts.feedbackThanks } });
      expect(outcome.effects[2]).toEqual({ kind: 'feedback', answerId: 7, helpful: true });
      expect(outcome.state.draft).toEqual(draftBefore);
    },
  );

  it.each(STATE_NAMES)(
    'a known fix picked with its button in state %s: the assistant sends that one, draft untouched',
    (state) => {
      const h = new ConversationHarness({
        state: reach(state).state,
        settings: { ...DEFAULT_SETTINGS, assistant: true },
      });
      const draftBefore = h.state.draft;
      const outcome = h.send(h.button(knownFixChoiceData('0123456789ab'), { messageId: 78 }));
      expect(outcome.say).toEqual([]);
      expect(effectKinds(outcome.effects)).toEqual([
        'job:telegram.answer-callback',
        'job:telegram.edit-reply-markup',
        'job:assistant.answer-question',
      ]);
      expect(outcome.effects[2]).toMatchObject({
        payload: {
          question: texts.chosenKnownFix,
          note: '0123456789ab',
          key: `fix:${CHAT_ID}:78:0123456789ab`,
        },
      });
      expect(outcome.state.draft).toEqual(draftBefore);
      // Its other buttons are gone with the tap; one that still shows (a second phone) is obeyed too.
      expect(
        effectKinds(h.send(h.button(knownFixChoiceData('ba9876543210'), { messageId: 78 })).effects),
      ).toEqual([
        'job:telegram.answer-callback',
        'job:telegram.edit-reply-markup',
        'job:assistant.answer-question',
      ]);
    },
  );

  it('a known fix button is stale when malformed, and says the assistant is off where it is', () => {
    const h = new ConversationHarness();
    expect(h.send(h.button('afx:not-a-ref', { messageId: 82 })).effects).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ text: texts.staleButton }) }),
    ]);
    const off = h.send(h.button(knownFixChoiceData('0123456789ab'), { messageId: 83 }));
    expect(summariseSays(off.say)).toEqual([say(texts.assistantOff)]);
  });

  it('/question queues the assistant, keeps the draft, and says so; without text it shows the usage', () => {
    const h = new ConversationHarness({ settings: { ...DEFAULT_SETTINGS, assistant: true } });
    h.send(h.command('sav'));
    const draftBefore = h.state.draft;
    const outcome = h.send(h.command('question', 'onduleur Fronius erreur 567'));
    expect(summariseSays(outcome.say)).toEqual([say(texts.questionReceived)]);
    expect(outcome.effects).toEqual([
      {
        kind: 'job',
        job: 'assistant.answer-question',
        key: 'question',
        scope: 'update',
        afterAnswer: true,
        payload: {
          slug: SLUG,
          chatId: CHAT_ID,
          question: 'onduleur Fronius erreur 567',
          key: expect.stringMatching(new RegExp(`^q:${CHAT_ID}:\\d+$`)),
        },
      },
    ]);
    expect(outcome.state.draft).toEqual(draftBefore);
    expect(summariseSays(h.send(h.command('question')).say)).toEqual([say(texts.questionUsage)]);
  });

  it('a free text alone offers the assistant beside the reports; its button asks with that text', () => {
    const h = new ConversationHarness({ settings: { ...DEFAULT_SETTINGS, assistant: true } });
    const asked = h.send(h.text('borne IRVE ne charge plus depuis hier'));
    const keyboard = asked.say[0]!.keyboard!;
    expect(keyboard.slice(0, -1)).toEqual(menuKeyboard);
    expect(keyboard.at(-1)).toEqual([{ text: texts.askAssistant, callback_data: 'question' }]);

    const tapped = h.send(h.button('question', { messageId: 55 }));
    expect(tapped.effects).toContainEqual(
      expect.objectContaining({
        job: 'assistant.answer-question',
        payload: expect.objectContaining({
          question: 'borne IRVE ne charge plus depuis hier',
          key: `q:${CHAT_ID}:55`,
        }),
      }),
    );
    expect(summariseSays(tapped.say)).toEqual([say(texts.questionReceived)]);
    expect(tapped.state.draft).toBeUndefined();
  });

  it('photos before a report are not offered to the assistant', () => {
    const h = new ConversationHarness({ settings: { ...DEFAULT_SETTINGS, assistant: true } });
    expect(h.send(h.photo()).say[0]!.keyboard).toEqual(menuKeyboard);
  });

  it('/question says the assistant is off where it is not running', () => {
    const h = new ConversationHarness();
    const outcome = h.send(h.command('question', 'PAC en défaut'));
    expect(summariseSays(outcome.say)).toEqual([say(texts.assistantOff)]);
    expect(outcome.effects).toEqual([]);
  });

  it('👎 is recorded as not helpful; malformed feedback data is a stale button', () => {
    const h = new ConversationHarness();
    expect(h.send(h.button(feedbackData(8, false), { messageId: 80 })).effects).toContainEqual({
      kind: 'feedback',
      answerId: 8,
      helpful: false,
    });
    expect(h.send(h.button('afb:x:1', { messageId: 81 })).effects).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ text: texts.staleButton }) }),
    ]);
  });

  it('a tap on a message Telegram no longer shows: answered and obeyed, no edit attempted', () => {
    const h = new ConversationHarness();
    const outcome = h.send(h.button('materiel', { messageId: 50, accessible: false }));
    expect(effectKinds(outcome.effects)).toEqual(['job:telegram.answer-callback']);
    expect(outcome.say).toEqual([{ text: texts.start.materiel }]);
  });

  it('a second tap on an older menu acts on the report in progress and says what it did', () => {
    const h = new ConversationHarness();
    h.send(h.button('fin', { messageId: 42 }));
    h.send(h.photo({ caption: 'onduleur posé' }));
    const again = h.send(h.button('sav', { messageId: 42 }));
    expect(summariseSays(again.say)).toEqual([
      say(texts.switched('sav', 'Fin de chantier, 1 photo, un texte')),
      say(texts.missing.savChantier),
    ]);
    expect(again.state.draft?.kind).toBe('sav');
    const same = h.send(h.button('sav', { messageId: 42, accessible: false }));
    expect(summariseSays(same.say)).toEqual([say(texts.missing.savChantier)]);
  });
});

describe('the menu', () => {
  it.each(['start', 'menu'])(
    '/%s greets by first name with the three buttons: fin, sav, materiel',
    (command) => {
      const h = new ConversationHarness();
      const outcome = h.send(h.command(command));
      expect(outcome.say).toEqual([
        {
          text: 'Bonjour Jean 👋 Que veux-tu signaler ?',
          keyboard: [
            [{ text: '📸 Fin de Chantier', callback_data: 'fin' }],
            [{ text: '⚠️ Alerte SAV', callback_data: 'sav' }],
            [{ text: '📦 Matériel Manquant', callback_data: 'materiel' }],
          ],
        },
      ]);
    },
  );
});

describe('/annuler', () => {
  type Row = [state: StateName, says: SaySummary[], setAsideAfter: DraftSummary | undefined];
  const cancelled = (what: string) => [say(`🗑️ Annulé. J’ai abandonné : ${what}.`)];
  const rows: Row[] = [
    ['none', [say(texts.nothingToCancel)], undefined],
    // Only a kind chosen: nothing the technician sent is lost.
    ['kindOnly', [say(texts.nothingToCancel)], undefined],
    ['noKind', cancelled('1 photo'), undefined],
    ['finNoPhoto', cancelled('Fin de chantier, Müller, un texte'), undefined],
    ['finNoChantier', cancelled('Fin de chantier, 1 photo, un texte'), undefined],
    ['savNoDescription', cancelled('Alerte SAV, Müller'), undefined],
    ['savNoChantier', cancelled('Alerte SAV, un texte'), undefined],
    ['materielNoItems', cancelled('Matériel manquant, Müller'), undefined],
    ['materielNoChantier', cancelled('Matériel manquant, un texte'), undefined],
    ['openAlbum', cancelled('Fin de chantier, 1 photo'), undefined],
    ['setAside', cancelled('Fin de chantier, 1 photo, un texte'), undefined],
  ];

  it.each(rows)('in state %s says what was dropped', (state, says, setAsideAfter) => {
    const h = reach(state);
    const outcome = h.send(h.command('annuler'));
    expect(summariseSays(outcome.say)).toEqual(says);
    expect(outcome.effects).toEqual([]);
    expect(outcome.state.draft).toBeUndefined();
    expect(summariseDraft(outcome.state.setAside)).toEqual(setAsideAfter);
  });

  it('drops the current draft first and keeps the set-aside one', () => {
    const h = reach('setAside');
    h.send(h.command('sav'));
    h.send(h.text('Weber /'));
    const outcome = h.send(h.command('annuler'));
    expect(summariseSays(outcome.say)).toEqual(cancelled('Alerte SAV, Weber'));
    expect(summariseDraft(outcome.state.setAside)).toEqual(FIN_NO_CHANTIER);
  });
});

describe('time-outs (injected clock)', () => {
  const TIMEOUT = DEFAULT_SETTINGS.draftTimeoutMs;

  it('a draft untouched for just under 30 min is still current', () => {
    const h = reach('savNoChantier');
    h.advance(TIMEOUT - 1);
    const outcome = h.send(h.text('Müller'));
    expect(summariseSays(outcome.say)).toEqual(RECEIVED);
  });

  it('after 30 min it is set aside, the technician told once with resume/abandon buttons', () => {
    const h = reach('savNoChantier');
    h.advance(TIMEOUT);
    const outcome = h.send(h.command('aide'));
    expect(outcome.say).toEqual([
      {
        text: '🕒 Ton rapport en cours (Alerte SAV, un texte) est resté 30 min sans suite : je l’ai mis de côté.',
        keyboard: setAsideKeyboard,
      },
      { text: texts.help },
    ]);
    expect(setAsideKeyboard).toEqual([
      [
        { text: '↩️ Reprendre', callback_data: 'reprendre' },
        { text: '🗑️ Abandonner', callback_data: 'abandonner' },
      ],
    ]);
    expect(outcome.state.draft).toBeUndefined();
    expect(summariseDraft(outcome.state.setAside)).toEqual(HOLDS.savNoChantier.draft);
    // Told once: the next event says nothing more about it.
    expect(summariseSays(h.send(h.command('aide')).say)).toEqual([say(texts.help)]);
  });

  it('the timeout is a setting', () => {
    const h = new ConversationHarness({ settings: { ...DEFAULT_SETTINGS, draftTimeoutMs: 5 * MINUTE } });
    STATES.savNoChantier(h);
    h.advance(5 * MINUTE);
    const outcome = h.send(h.command('aide'));
    expect(outcome.say[0]?.text).toContain('resté 5 min sans suite');
  });

  it('a set-aside draft is resumed with its question asked again, and completes', () => {
    const h = reach('savNoChantier');
    h.advance(TIMEOUT + MINUTE);
    h.send(h.command('aide'));
    const resumed = h.send(h.button('reprendre', { messageId: 60 }));
    expect(summariseSays(resumed.say)).toEqual([
      say('↩️ On reprend : Alerte SAV, un texte.'),
      say(texts.missing.savChantier),
    ]);
    expect(resumed.state.setAside).toBeUndefined();
    const done = h.send(h.text('Müller'));
    expect(reportEffects(done.effects).map((e) => [e.report.chantier, e.report.text])).toEqual([
      ['Müller', 'PAC en défaut E-12'],
    ]);
  });

  it('a set-aside draft of photos without a kind asks the kind again on resume', () => {
    const h = reach('noKind');
    h.advance(TIMEOUT);
    h.send(h.command('aide'));
    const resumed = h.send(h.command('reprendre'));
    expect(summariseSays(resumed.say)).toEqual([
      say('↩️ On reprend : 1 photo.'),
      sayMenu('📎 1 photo reçue. C’est pour quel rapport ?'),
    ]);
  });

  it('resuming while another draft is in progress swaps them: nothing is dropped', () => {
    const h = reach('setAside');
    h.send(h.command('materiel'));
    h.send(h.text('- tube 16mm'));
    const resumed = h.send(h.command('reprendre'));
    expect(summariseDraft(resumed.state.draft)).toEqual(FIN_NO_CHANTIER);
    expect(summariseDraft(resumed.state.setAside)).toEqual(
      draft({ kind: 'materiel', text: '- tube 16mm', awaiting: 'chantier' }),
    );
  });

  it('abandon drops the set-aside draft and says what', () => {
    const h = reach('setAside');
    const outcome = h.send(h.button('abandonner', { messageId: 61 }));
    expect(summariseSays(outcome.say)).toEqual([
      say('🗑️ Annulé. J’ai abandonné : Fin de chantier, 1 photo, un texte.'),
    ]);
    expect(outcome.state.setAside).toBeUndefined();
  });

  it.each([
    ['reprendre', (h: ConversationHarness) => h.command('reprendre')],
    ['abandonner', (h: ConversationHarness) => h.command('abandonner')],
  ])('%s with nothing set aside says so', (_name, make) => {
    const h = reach('finNoChantier');
    const before = h.state;
    const outcome = h.send(make(h));
    expect(summariseSays(outcome.say)).toEqual([say(texts.nothingToResume)]);
    expect(outcome.state).toEqual(before);
  });

  it('a draft holding only the chosen kind expires silently', () => {
    const h = reach('kindOnly');
    h.advance(TIMEOUT);
    const outcome = h.send(h.command('aide'));
    expect(summariseSays(outcome.say)).toEqual([say(texts.help)]);
    expect(outcome.state.draft).toBeUndefined();
    expect(outcome.state.setAside).toBeUndefined();
  });

  it('a second expiry replaces the older set-aside draft and says it was dropped', () => {
    const h = reach('setAside');
    h.send(h.command('sav'));
    h.send(h.text('Weber /'));
    h.advance(TIMEOUT);
    const outcome = h.send(h.command('aide'));
    expect(summariseSays(outcome.say)).toEqual([
      say('🗑️ Annulé. J’ai abandonné : Fin de chantier, 1 photo, un texte.'),
      {
        text: '🕒 Ton rapport en cours (Alerte SAV, Weber) est resté 30 min sans suite : je l’ai mis de côté.',
        keyboard: 'set-aside',
      },
      say(texts.help),
    ]);
    expect(summariseDraft(outcome.state.setAside)).toEqual(draft({ kind: 'sav', chantier: 'Weber' }));
  });

  it('an album still arriving is never set aside', () => {
    const h = reach('openAlbum');
    h.advance(TIMEOUT * 2);
    const outcome = h.send(h.command('aide'));
    expect(summariseSays(outcome.say)).toEqual([say(texts.help)]);
    expect(summariseDraft(outcome.state.draft)).toEqual(HOLDS.openAlbum.draft);
  });

  it('a closed album is forgotten after the late-item window: a later item starts afresh', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.send(h.photo({ mediaGroupId: 'g1', caption: 'Müller / ok' }));
    h.send(h.albumClosed('g1'));
    h.advance(DEFAULT_SETTINGS.lateItemWindowMs - 1);
    expect(effectKinds(h.fork().send(h.photo({ mediaGroupId: 'g1' })).effects)).toEqual(['report-addition']);
    h.advance(2);
    const outcome = h.send(h.photo({ mediaGroupId: 'g1' }));
    expect(h.state.closedAlbums).toEqual([]);
    expect(effectKinds(outcome.effects)).toEqual(['job:conversation.album-close']);
  });
});

/** Every piece the technician sent that a state holds, by a name that survives moves. */
function pieces(d: Draft | undefined): string[] {
  if (!d) return [];
  return [
    ...d.media.map((m) => `photo:${m.fileUniqueId}`),
    ...(d.chantier ? [`chantier:${d.chantier}`] : []),
    ...(d.text ? d.text.split('\n').map((line) => `text:${line}`) : []),
  ];
}

describe('nothing the technician sent is dropped silently (every state × every event)', () => {
  const EVENTS: Record<string, (h: ConversationHarness) => ConversationEvent> = {
    '/start': (h) => h.command('start'),
    '/menu': (h) => h.command('menu'),
    '/fin': (h) => h.command('fin'),
    '/sav': (h) => h.command('sav'),
    '/materiel': (h) => h.command('materiel'),
    '/annuler': (h) => h.command('annuler'),
    '/aide': (h) => h.command('aide'),
    '/reprendre': (h) => h.command('reprendre'),
    '/abandonner': (h) => h.command('abandonner'),
    '/inconnue': (h) => h.command('inconnue'),
    'button fin': (h) => h.button('fin'),
    'button sav': (h) => h.button('sav'),
    'button materiel': (h) => h.button('materiel'),
    'button reprendre': (h) => h.button('reprendre'),
    'button abandonner': (h) => h.button('abandonner'),
    'button unknown': (h) => h.button('zzz'),
    'button inaccessible': (h) => h.button('sav', { accessible: false }),
    'text with /': (h) => h.text('Weber / fuite'),
    'text without /': (h) => h.text('Weber'),
    'text list': (h) => h.text('- raccord - vanne'),
    photo: (h) => h.photo(),
    'photo with caption': (h) => h.photo({ caption: 'Weber / toit' }),
    'album item': (h) => h.photo({ mediaGroupId: 'alb-1' }),
    'image document': (h) => h.document({ image: 'image', mimeType: 'image/heic', fileName: 'a.heic' }),
    'unknown document': (h) => h.document({ image: 'unknown', mimeType: 'application/octet-stream' }),
    'other document': (h) =>
      h.document({ image: 'not-image', mimeType: 'application/pdf', fileName: 'a.pdf' }),
    voice: (h) => h.voice(),
    edited: (h) => h.edited('x'),
    other: (h) => h.other(),
    'album closed': (h) => h.albumClosed('alb-1'),
  };

  const cases = STATE_NAMES.flatMap((state) =>
    Object.keys(EVENTS).flatMap(
      (event) =>
        [
          [state, event, 0],
          [state, event, DEFAULT_SETTINGS.draftTimeoutMs],
        ] as const,
    ),
  );

  it.each(cases)('state %s, event %s, %i ms later', (state, eventName, later) => {
    const h = reach(state);
    h.advance(later);
    const before = [...pieces(h.state.draft), ...pieces(h.state.setAside)];
    const event = EVENTS[eventName]!(h);
    const outcome = h.send(event);

    const kept = new Set([...pieces(outcome.state.draft), ...pieces(outcome.state.setAside)]);
    for (const effect of reportEffects(outcome.effects)) {
      const r = effect.report;
      for (const m of r.media) kept.add(`photo:${m.fileUniqueId}`);
      kept.add(`chantier:${r.chantier}`);
      for (const line of r.text.split('\n')) kept.add(`text:${line}`);
    }
    // A newer `Chantier / texte` corrects the chantier: the latest one wins.
    const corrected = kept.has('chantier:Weber');
    const lost = before.filter((piece) => !kept.has(piece) && !(corrected && piece.startsWith('chantier:')));
    if (lost.length > 0) {
      // Only a cancellation may drop, and it says so.
      expect(outcome.say.map((s) => s.text).join('\n')).toContain('🗑️ Annulé');
    }

    if (event.kind === 'button') {
      const answers = outcome.effects.filter((e) => e.kind === 'job' && e.job === 'telegram.answer-callback');
      expect(answers).toHaveLength(1);
      expect(outcome.effects[0]).toBe(answers[0]);
    }
    if (event.kind !== 'album-closed' && event.kind !== 'button') {
      // Every message gets an answer, except album items (answered at the close) and photos
      // after we already asked which report they are for.
      const after = outcome.state.draft;
      const quiet =
        after !== undefined && (after.openAlbums.length > 0 || (after.kind === undefined && after.askedKind));
      if (!quiet) expect(outcome.say.length).toBeGreaterThan(0);
      // A typed text is always answered, unless an album it belongs with is still arriving.
      if (event.kind === 'text' && !after?.openAlbums.length) expect(outcome.say.length).toBeGreaterThan(0);
    }
    for (const s of outcome.say) expect(s.text.trim()).not.toBe('');
  });
});

describe('the report', () => {
  it('carries the technician, the chat and a key unique to the draft', () => {
    const h = new ConversationHarness();
    h.send(h.command('fin'));
    h.advance(MINUTE);
    const outcome = h.send(h.photo({ caption: 'Müller / onduleur posé' }));
    const [effect] = reportEffects(outcome.effects);
    expect(effect).toEqual({
      kind: 'report',
      key: `${CHAT_ID}:${START_MS}`,
      report: {
        kind: 'fin',
        chantier: 'Müller',
        text: 'onduleur posé',
        media: [expect.objectContaining({ source: 'photo' })],
        technician: { userId: CHAT_ID, name: 'Jean Test' },
        chatId: CHAT_ID,
      },
    });
  });

  it('a second report in the same conversation gets another key', () => {
    const h = new ConversationHarness();
    h.send(h.command('materiel'));
    const first = reportEffects(h.send(h.text('Müller / - vis')).effects)[0]!.key;
    h.advance(1000);
    h.send(h.command('materiel'));
    const second = reportEffects(h.send(h.text('Weber / - vis')).effects)[0]!.key;
    expect(second).not.toBe(first);
  });
});
