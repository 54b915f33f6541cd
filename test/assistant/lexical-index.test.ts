import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchTerms } from '../../src/assistant/french-terms.ts';
import { localFolderSource } from '../../src/assistant/knowledge-source.ts';
import { splitNote } from '../../src/assistant/knowledge-units.ts';
import { LexicalIndex } from '../../src/assistant/lexical-index.ts';

const units = (await localFolderSource('knowledge/Wiki_SAV').list()).flatMap(splitNote);
const index = new LexicalIndex(units);

function best(question: string): string | undefined {
  return [...index.scores(question)].sort((a, b) => b[1] - a[1])[0]?.[0];
}

describe('French search terms', () => {
  it('fold accents, plurals and infinitives together, and drop function words', () => {
    expect(searchTerms('Les bornes ne démarrent pas')).toEqual(searchTerms('la borne ne demarre pas'));
    expect(searchTerms('charger')).toEqual(searchTerms('Chargé'));
    expect(searchTerms('le de la pas')).toEqual([]);
  });

  it('spell out SMS abbreviations', () => {
    expect(searchTerms('pb qd il pleut')).toEqual(searchTerms('problème quand il pleut'));
  });
});

describe('the lexical index', () => {
  it.each([
    ['FusionSolar signale résistance d’isolement faible', 'onduleurs/huawei-sun2000-isolation.md'],
    ['enfase micros absents dans enlighten', 'onduleurs/enphase-micro-onduleurs-absents.md'],
    ['routeur solaire lit pas la teleinfo du linky', 'hems/linky-teleinfo.md'],
    ['le diff saute le matin au demarrage de l onduleur', 'pv/differentiel-declenche-production.md'],
  ])('ranks first, for « %s », %s', (question, unitId) => {
    expect(best(question)).toBe(unitId);
  });

  it('scores in [0, 1), and nothing for a question sharing no word with the notes', () => {
    for (const score of index.scores('Fronius State 567 production plafonnée').values()) {
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
    }
    expect(index.scores('qwx zzk').size).toBe(0);
  });

  it('scores a question the same with or without accents and capitals', () => {
    const questions = fc
      .array(fc.constantFrom(...units.flatMap((unit) => unit.symptoms.split(/\s+/u)).slice(0, 200)), {
        minLength: 1,
        maxLength: 8,
      })
      .map((words) => words.join(' '));
    fc.assert(
      fc.property(questions, (question) => {
        const plain = question.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
        expect(index.scores(plain)).toEqual(index.scores(question));
      }),
      { numRuns: 50 },
    );
  });
});
