import { describe, expect, it } from 'vitest';
import {
  CARD_TITLE_MAX_CHARACTERS,
  DEFAULT_SAV_DUE_DELAY_MS,
  reportCard,
  type ReportCardInput,
  reportCardTitle,
  withPhotoCount,
} from '../../src/nextcloud/report-card.ts';

/** 14:30 UTC in March = 15:30 in Paris (CET); in June it would be 16:30 (CEST). */
const CREATED = new Date('2026-03-25T14:30:00Z');

const input = (overrides: Partial<ReportCardInput> = {}): ReportCardInput => ({
  publicId: 'SAV-0042',
  kind: 'sav',
  chantier: 'Müller',
  technician: 'Paul Schmitt',
  createdAt: CREATED,
  text: 'Fuite au niveau de la PAC',
  items: [],
  photoCount: 2,
  folderLink: 'https://cloud.example.test/apps/files/?dir=/SAV_Urgent/2026-03-25_Müller',
  timeZone: 'Europe/Paris',
  ...overrides,
});

const codePoints = (text: string) => Array.from(text).length;

describe('reportCard: stack and title', () => {
  it.each([
    ['fin', 'FIN-0001', 'Fin de Chantier', '📸 Müller — Fin de chantier (FIN-0001)'],
    ['sav', 'SAV-0042', 'SAV', '🚨 Müller — Alerte SAV (SAV-0042)'],
    ['materiel', 'MAT-0007', 'Matériel', '📦 Müller — Matériel manquant (MAT-0007)'],
  ] as const)(
    'files a %s report in its stack with its emoji, kind and id',
    (kind, publicId, stack, title) => {
      const card = reportCard(input({ kind, publicId }));
      expect(card.stackTitle).toBe(stack);
      expect(card.title).toBe(title);
      expect(card.marker).toBe(publicId);
    },
  );

  it('cuts a long chantier, never the report id, to fit 255 code points', () => {
    // Emoji are 2 UTF-16 units but 1 code point: Deck counts code points.
    const title = reportCardTitle({
      kind: 'sav',
      chantier: 'Résidence 🌞 '.repeat(40),
      publicId: 'SAV-12345',
    });
    expect(codePoints(title)).toBeLessThanOrEqual(CARD_TITLE_MAX_CHARACTERS);
    expect(codePoints(title)).toBeGreaterThan(CARD_TITLE_MAX_CHARACTERS - 4);
    expect(title).toMatch(/^🚨 Résidence 🌞 Résidence .*… — Alerte SAV \(SAV-12345\)$/u);
  });

  it('does not cut a grapheme in half', () => {
    const family = '👨‍👩‍👧'; // one grapheme, five code points
    const title = reportCardTitle({ kind: 'fin', chantier: family.repeat(60), publicId: 'FIN-0001' });
    expect(codePoints(title)).toBeLessThanOrEqual(CARD_TITLE_MAX_CHARACTERS);
    const name = title.slice('📸 '.length, title.indexOf('…'));
    expect(name).toBe(family.repeat(codePoints(name) / 5));
  });

  it('keeps a chantier that fits as it is, and puts a multi-line one on one line', () => {
    expect(reportCardTitle({ kind: 'fin', chantier: 'x'.repeat(200), publicId: 'FIN-0001' })).not.toContain(
      '…',
    );
    expect(reportCardTitle({ kind: 'fin', chantier: '  Dupont\n  Martin ', publicId: 'FIN-0002' })).toBe(
      '📸 Dupont Martin — Fin de chantier (FIN-0002)',
    );
    expect(reportCardTitle({ kind: 'fin', chantier: ' ', publicId: 'FIN-0003' })).toBe(
      '📸 Chantier ? — Fin de chantier (FIN-0003)',
    );
  });
});

describe('reportCard: description', () => {
  it('gives the id, chantier, technician, Paris time, the text and the photos with their folder', () => {
    expect(reportCard(input()).description).toBe(
      [
        '**Rapport :** SAV-0042  ',
        '**Chantier :** Müller  ',
        '**Technicien :** Paul Schmitt  ',
        '**Date :** 25/03/2026 à 15:30 (Europe/Paris)',
        '',
        '### Description',
        'Fuite au niveau de la PAC',
        '',
        '📸 2 photos — [Ouvrir le dossier Nextcloud](https://cloud.example.test/apps/files/?dir=/SAV_Urgent/2026-03-25_Müller)',
      ].join('\n'),
    );
  });

  it('shows the date in the time zone it is given, summer time included', () => {
    const summer = new Date('2026-06-30T22:15:00Z');
    expect(reportCard(input({ createdAt: summer })).description).toContain('**Date :** 01/07/2026 à 00:15');
    expect(reportCard(input({ createdAt: summer, timeZone: 'UTC' })).description).toContain(
      '**Date :** 30/06/2026 à 22:15 (UTC)',
    );
  });

  it('turns missing material into a checklist in place of the raw list', () => {
    const card = reportCard(
      input({
        kind: 'materiel',
        publicId: 'MAT-0007',
        text: '- cuivre 28mm - disconnecteur - soupape anti-gel',
        items: ['cuivre 28mm', 'disconnecteur', 'soupape\nanti-gel', ' '],
        photoCount: 0,
        folderLink: undefined,
      }),
    );
    expect(card.description).toContain(
      '### Matériel à prévoir\n- [ ] cuivre 28mm\n- [ ] disconnecteur\n- [ ] soupape anti-gel\n\n📸 Aucune photo',
    );
    expect(card.description).not.toContain('- cuivre 28mm -');
    expect(card.description.endsWith('📸 Aucune photo')).toBe(true);
  });

  it('heads end-of-job text as notes, leaves out an empty text, and counts one photo', () => {
    const fin = reportCard(
      input({ kind: 'fin', publicId: 'FIN-0003', text: 'RAS\nClient satisfait', photoCount: 1 }),
    );
    expect(fin.description).toContain('### Notes\nRAS\nClient satisfait\n\n📸 1 photo — [');
    const silent = reportCard(input({ kind: 'fin', publicId: 'FIN-0004', text: '  ' }));
    expect(silent.description).not.toContain('###');
  });

  it('says what could not be done under the photo line, one ⚠️ line each, and nothing when all went well', () => {
    const card = reportCard(
      input({ photoCount: 1, problems: ['« plan » n’est pas une image : non archivé.', 'deux\nlignes'] }),
    );
    expect(card.description).toMatch(
      /\n\n📸 1 photo — \[[^\n]*\) {2}\n⚠️ « plan » n’est pas une image : non archivé\. {2}\n⚠️ deux lignes$/u,
    );
    expect(withPhotoCount(card.description, 2)).toContain('📸 2 photos — [');
    expect(reportCard(input({ problems: [] })).description).not.toContain('⚠️');
  });

  it('keeps the folder link a single Markdown destination even with spaces or brackets', () => {
    const card = reportCard(input({ folderLink: 'https://cloud.example.test/f/Chantier (1)/a b' }));
    expect(card.description).toContain(
      '[Ouvrir le dossier Nextcloud](https://cloud.example.test/f/Chantier%20%281%29/a%20b)',
    );
  });
});

describe('reportCard: due date', () => {
  it('gives SAV cards a due date the given delay after the report, in ISO 8601', () => {
    expect(reportCard(input({ savDueDelayMs: 4 * 60 * 60 * 1000 })).duedate).toBe('2026-03-25T18:30:00.000Z');
    expect(reportCard(input()).duedate).toBe(
      new Date(CREATED.getTime() + DEFAULT_SAV_DUE_DELAY_MS).toISOString(),
    );
  });

  it('gives other cards no due date', () => {
    expect(reportCard(input({ kind: 'fin' }))).not.toHaveProperty('duedate');
    expect(reportCard(input({ kind: 'materiel', savDueDelayMs: 1000 }))).not.toHaveProperty('duedate');
  });
});

describe('withPhotoCount', () => {
  it('changes only the count of the card’s photo line, keeping its link and the office’s words', () => {
    const description =
      '**Rapport :** FIN-0042\n\n📸 1 photo — [Ouvrir le dossier Nextcloud](https://x)\n\nAppelé le client.';
    expect(withPhotoCount(description, 3)).toBe(
      '**Rapport :** FIN-0042\n\n📸 3 photos — [Ouvrir le dossier Nextcloud](https://x)\n\nAppelé le client.',
    );
    expect(withPhotoCount('📸 Aucune photo', 1)).toBe('📸 1 photo');
  });

  it('puts the line back at the end when the office removed it', () => {
    expect(withPhotoCount('**Rapport :** FIN-0042\n', 2)).toBe('**Rapport :** FIN-0042\n\n📸 2 photos');
    expect(withPhotoCount('', 2)).toBe('📸 2 photos');
  });
});
