import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evidenceLabel, QuestionEvidence } from '../../src/assistant/exact-evidence.ts';
import { splitNote } from '../../src/assistant/knowledge-units.ts';

const fronius567 = splitNote({
  path: 'onduleurs/fronius-567.md',
  text: '# Fronius State 567\nÉquipement : onduleur PV\nMarque : Fronius, Symo, Primo\nCodes : State 567, 567',
})[0]!;
const pressure = splitNote({
  path: 'pac/pression.md',
  text: '# PAC pression basse\nÉquipement : pompe à chaleur air/eau\nCodes : E-12',
})[0]!;
const generic = splitNote({ path: 'generic.md', text: '# Code 42\nCodes : 42' })[0]!;
const units = [fronius567, pressure, generic];

const evidenceFor = (question: string, unit = fronius567) => new QuestionEvidence(question, units).of(unit);

describe('exact evidence', () => {
  it.each([
    ['onduleur Fronius affiche erreur 567', ['Fronius'], ['onduleur']],
    ['Fronius State 567', ['Fronius'], []],
    ['fronuis 567', ['Fronius'], []],
    ['symo state567', ['Symo'], []],
    ['567 sur les onduleurs', [], ['onduleur']],
  ])('takes « %s » as the code with its brand or equipment', (question, brands, equipment) => {
    expect(evidenceFor(question)).toEqual({ codes: ['567'], brands, equipment, strength: 'code+context' });
  });

  it('takes a code alone as weaker evidence when the note names a brand or equipment', () => {
    expect(evidenceFor('erreur 567').strength).toBe('code');
  });

  it('takes a code alone as full evidence when the note names neither', () => {
    expect(evidenceFor('code 42', generic).strength).toBe('code+context');
  });

  it('knows PAC for pompe à chaleur and any writing of E-12', () => {
    for (const question of ['E12 pac', 'pac e 12', 'PAC en défaut E-12', 'pac e.12']) {
      expect(evidenceFor(question, pressure), question).toMatchObject({
        codes: ['E12'],
        equipment: ['pompe'],
        strength: 'code+context',
      });
    }
  });

  it('rules a note out when the question names another maker', () => {
    expect(evidenceFor('SMA Sunny Boy erreur 567').strength).toBe('other-maker');
    expect(evidenceFor('onduleur SolarEdge code 567').strength).toBe('other-maker');
    // A note that names no brand is not another maker's.
    expect(evidenceFor('Daikin E12 pac', pressure).strength).toBe('code+context');
  });

  it('finds no code in a number that is not one of the note', () => {
    expect(evidenceFor('Fronius 230 V au tableau')).toMatchObject({ codes: [], strength: 'none' });
  });

  it('explains itself for the answer', () => {
    expect(evidenceLabel(evidenceFor('onduleur Fronius affiche erreur 567'))).toBe(
      'code 567 + Fronius + onduleur',
    );
    expect(evidenceLabel(evidenceFor('rien à voir'))).toBeUndefined();
  });

  it('matches a code whatever its case, spaces and separators, and with or without its prefix', () => {
    const writings = fc.record({
      prefix: fc.constantFrom('', 'State ', 'state', 'STATE ', 'code ', 'erreur ', 'Erreur-'),
      brand: fc.constantFrom('Fronius', 'fronius', 'FRONIUS', 'Fronuis', 'Frönius'),
      filler: fc.constantFrom('', ' affiche', ' en défaut depuis hier,', ' qd y a du soleil'),
    });
    fc.assert(
      fc.property(writings, ({ prefix, brand, filler }) => {
        const question = `${brand}${filler} ${prefix}567`;
        expect(evidenceFor(question).strength, question).toBe('code+context');
      }),
    );
  });

  it('never takes another code for this one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999 }).filter((n) => n !== 567),
        (n) => {
          expect(evidenceFor(`Fronius State ${n}`).codes).toEqual([]);
        },
      ),
    );
  });
});
