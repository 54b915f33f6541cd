import { describe, expect, it } from 'vitest';
import { addMedia, addText, isBlank, materialItems, missingPiece } from '../../src/conversation/draft.ts';
import { type Draft, type DraftMedia, emptyDraft, type ReportKind } from '../../src/conversation/state.ts';
import { texts } from '../../src/conversation/texts.ts';
import { CHAT_ID, START_MS } from '../support/conversation-harness.ts';

const T0 = START_MS;
const base = (fields: Partial<Draft> = {}): Draft => ({
  ...emptyDraft(T0, CHAT_ID, { userId: CHAT_ID, name: 'Jean Test' }),
  ...fields,
});

const photo = (messageId: number): DraftMedia => ({
  fileId: `f${messageId}`,
  fileUniqueId: `u${messageId}`,
  messageId,
  date: 1774449000,
  source: 'photo',
  mimeType: 'image/jpeg',
  fileName: undefined,
  fileSize: 10,
  mediaGroupId: undefined,
});

describe('addText', () => {
  it.each([
    ['Chantier / texte', 'Müller / onduleur posé', { chantier: 'Müller', text: 'onduleur posé' }],
    ['a free text without chantier', 'fuite au raccord', { chantier: undefined, text: 'fuite au raccord' }],
    ['a chantier with nothing after it', 'Müller /', { chantier: 'Müller', text: undefined }],
    ['an NFD name becomes NFC', 'Mu\u0308ller / ok', { chantier: 'Müller', text: 'ok' }],
    ['only spaces', '   ', { chantier: undefined, text: undefined }],
  ])('%s', (_name, input, expected) => {
    const after = addText(base(), input, T0 + 5);
    expect({ chantier: after.chantier, text: after.text }).toEqual(expected);
    expect(after.updatedAt).toBe(T0 + 5);
  });

  it('appends to the text already there, one line each', () => {
    const after = addText(base({ text: 'onduleur posé' }), 'batterie posée', T0);
    expect(after.text).toBe('onduleur posé\nbatterie posée');
  });

  it('a later chantier replaces the earlier one (the technician corrected it)', () => {
    const after = addText(base({ chantier: 'Muler' }), 'Müller / ok', T0);
    expect(after.chantier).toBe('Müller');
  });

  it('keeps the chantier when the new text names none', () => {
    expect(addText(base({ chantier: 'Müller' }), 'encore un mot', T0).chantier).toBe('Müller');
  });

  describe('when the chantier was asked for', () => {
    const waiting = base({ kind: 'sav', text: 'PAC en défaut', awaiting: 'chantier' });

    it('a plain line naming a known chantier is the chantier, in its known spelling', () => {
      const after = addText(waiting, '  muller  ', T0, ['Müller']);
      expect(after).toEqual({
        ...waiting,
        chantier: 'Müller',
        awaiting: undefined,
        proposedChantier: undefined,
        chantierChoices: undefined,
        updatedAt: T0,
      });
    });

    it('a plain line naming no known chantier is only proposed: it waits for a confirmation', () => {
      const after = addText(waiting, 'cuivre 28mm et 2 coudes', T0, ['Müller']);
      expect(after).toEqual({ ...waiting, proposedChantier: 'cuivre 28mm et 2 coudes', updatedAt: T0 });
    });

    it('only the first line is the chantier', () => {
      expect(addText(waiting, 'Müller\nau fond du jardin', T0, ['Müller']).chantier).toBe('Müller');
    });

    it('a full «Chantier / texte» answer gives the chantier and adds the text', () => {
      const after = addText(waiting, 'Müller / bruit fort', T0);
      expect(after).toEqual({
        ...waiting,
        chantier: 'Müller',
        text: 'PAC en défaut\nbruit fort',
        awaiting: undefined,
        updatedAt: T0,
      });
    });

    it('a list is not a chantier: it is added and the question stays', () => {
      const after = addText(waiting, '- vanne - raccord', T0);
      expect(after).toEqual({ ...waiting, text: 'PAC en défaut\n- vanne - raccord', updatedAt: T0 });
    });

    it('an empty answer changes nothing but the time', () => {
      expect(addText(waiting, ' \n ', T0 + 1)).toEqual({ ...waiting, updatedAt: T0 + 1 });
    });
  });
});

describe('addMedia', () => {
  it('adds a photo and touches the draft', () => {
    const after = addMedia(base(), photo(1), T0 + 9);
    expect(after.media).toEqual([photo(1)]);
    expect(after.updatedAt).toBe(T0 + 9);
  });

  it('ignores a message already held (Telegram may deliver it twice)', () => {
    const once = addMedia(base(), photo(1), T0);
    expect(addMedia(once, { ...photo(1), fileId: 'other' }, T0 + 1)).toBe(once);
  });
});

describe('materialItems', () => {
  it.each([
    [
      'a one-line list',
      '- cuivre 28mm - disconnecteur - soupape anti-gel',
      ['cuivre 28mm', 'disconnecteur', 'soupape anti-gel'],
    ],
    ['one item per line', '- cuivre 28mm\n- disconnecteur', ['cuivre 28mm', 'disconnecteur']],
    [
      'a free text is one item',
      'il manque  le  disconnecteur\nà prévoir',
      ['il manque le disconnecteur à prévoir'],
    ],
    ['nothing', '', []],
  ])('%s', (_name, text, items) => {
    expect(materialItems(text || undefined)).toEqual(items);
  });
});

describe('missingPiece', () => {
  type Row = [kind: ReportKind, fields: Partial<Draft>, prompt: string | undefined, awaitsChantier?: boolean];
  const rows: Row[] = [
    ['fin', {}, texts.missing.photo, false],
    ['fin', { chantier: 'Müller', text: 'ok' }, texts.missing.photo, false],
    ['fin', { media: [photo(1)] }, texts.missing.finChantier, true],
    ['fin', { media: [photo(1)], chantier: 'Müller' }, undefined],
    ['sav', {}, texts.missing.savDescription, false],
    ['sav', { chantier: 'Müller' }, texts.missing.savDescription, false],
    // Photos do not replace the description.
    ['sav', { chantier: 'Müller', media: [photo(1)] }, texts.missing.savDescription, false],
    ['sav', { text: 'PAC en défaut' }, texts.missing.savChantier, true],
    ['sav', { text: 'PAC en défaut', chantier: 'Müller' }, undefined],
    ['materiel', {}, texts.missing.materielItems, false],
    ['materiel', { chantier: 'Müller' }, texts.missing.materielItems, false],
    ['materiel', { text: '- vis' }, texts.missing.materielChantier, true],
    ['materiel', { text: '- vis', chantier: 'Müller' }, undefined],
  ];

  it.each(rows)('%s with %j', (kind, fields, prompt, awaitsChantier) => {
    const missing = missingPiece(base({ kind, ...fields }));
    expect(missing).toEqual(prompt === undefined ? undefined : { prompt, awaitsChantier });
  });

  it('a draft without a kind lacks no piece: the kind is asked elsewhere', () => {
    expect(missingPiece(base())).toBeUndefined();
  });

  it('each question is one short French line with an example', () => {
    for (const prompt of Object.values(texts.missing)) {
      expect(prompt).not.toContain('\n');
      expect(prompt.length).toBeLessThan(100);
    }
    for (const prompt of Object.values(texts.missing)) {
      expect(prompt).toMatch(/ex\. (« )?(Müller|- cuivre 28mm)/u);
    }
  });
});

describe('isBlank', () => {
  it.each([
    ['a new draft', {}, true],
    ['a chosen kind only', { kind: 'fin' as const }, true],
    ['a photo', { media: [photo(1)] }, false],
    ['a chantier', { chantier: 'Müller' }, false],
    ['a text', { text: 'x' }, false],
  ])('%s: %s', (_name, fields, blank) => {
    expect(isBlank(base(fields))).toBe(blank);
  });
});
