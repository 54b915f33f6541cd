import { describe, expect, it } from 'vitest';
import { boundLines, MAX_ANSWER_CHARS, SAFETY_LINE, suggestsBypass } from '../../src/assistant/safety.ts';

describe('the safety line', () => {
  it('says to lock out the AC, that PV DC stays live in daylight, and to test for absence of voltage', () => {
    expect(SAFETY_LINE).toMatch(/consigner/iu);
    expect(SAFETY_LINE).toMatch(/cadenasser l'AC/u);
    expect(SAFETY_LINE).toMatch(/DC reste sous tension tant qu'il fait jour/u);
    expect(SAFETY_LINE).toMatch(/absence de tension \(VAT\)/u);
    expect(SAFETY_LINE).not.toContain('\n');
  });
});

describe('advice that defeats a protection', () => {
  it.each([
    'Shunter le différentiel pour tester',
    'Ponter le pressostat le temps de vérifier',
    'Faire un pont entre les bornes 1 et 2 du contact de sécurité',
    'Bypasser la protection de découplage',
    'Désactiver la protection anti-îlotage dans le menu installateur',
    'Désactiver temporairement le contrôle d’isolement',
    'Neutraliser le parafoudre',
    'Mettre un fusible de calibre supérieur',
    'Remplacer le fusible par un fil de cuivre',
    'Forcer le contacteur à la main',
    'Court-circuiter le sectionneur DC',
    'Straper le contact de sécurité',
  ])('is recognised: %s', (line) => {
    expect(suggestsBypass(line)).toBe(true);
  });

  it.each([
    'Réarmer le disjoncteur une seule fois',
    'Vérifier le type du différentiel (A, F ou B)',
    'Mise à la terre et en court-circuit avant intervention',
    'Contrôler le pont de diodes du variateur',
    'Mesurer la tension DC de chaque chaîne',
  ])('is not seen in ordinary advice: %s', (line) => {
    expect(suggestsBypass(line)).toBe(false);
  });
});

describe('bounding an answer', () => {
  const notice = '✂️ coupé';

  it('leaves a short answer whole', () => {
    expect(boundLines(['h'], ['a', 'b'], ['t'], notice)).toEqual({ text: 'h\na\nb\nt', cut: false });
  });

  it('cuts between lines, keeps head and tail, and says it cut', () => {
    const body = Array.from({ length: 100 }, (_, i) => `ligne ${i} ${'x'.repeat(80)}`);
    const { text, cut } = boundLines([SAFETY_LINE], body, ['📄 lien'], notice);
    expect(cut).toBe(true);
    expect(text.length).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
    expect(text.startsWith(SAFETY_LINE)).toBe(true);
    expect(text.endsWith(`${notice}\n📄 lien`)).toBe(true);
    for (const line of text.split('\n').slice(1, -2)) expect(body).toContain(line);
  });

  it('cuts a single overlong line at a word when nothing else fits', () => {
    const { text, cut } = boundLines(['h'], [`${'mot '.repeat(2000)}fin`], [], notice, 500);
    expect(cut).toBe(true);
    expect(text.length).toBeLessThanOrEqual(500);
    expect(text.split('\n')[1]).toMatch(/mot…$/u);
  });
});
