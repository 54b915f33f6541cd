import { describe, expect, it } from 'vitest';
import { canonicalCode, codeCandidates, mentionedCodes } from '../../src/assistant/error-codes.ts';

describe('error codes', () => {
  it.each([
    ['567', '567'],
    ['State 567', '567'],
    ['E-12', 'E12'],
    ['e12', 'E12'],
    ['F.28', 'F28'],
    ['U4', 'U4'],
    ['alarme 2062', '2062'],
    ['Défaut E 12', 'E12'],
  ])('writes %s in one canonical form', (raw, canonical) => {
    expect(canonicalCode(raw)).toBe(canonical);
  });

  it.each(['bridage', '', 'ABCD12', '123456'])('does not take %j for a code', (raw) => {
    expect(canonicalCode(raw)).toBeUndefined();
  });

  it('finds every form a technician may type in a report', () => {
    const candidates = codeCandidates('Fronius en 567, puis E-12 et e 4 sur la PAC');
    expect(candidates).toContain('567');
    expect(candidates).toContain('E12');
    expect(candidates).toContain('E4');
  });

  it('does not read decimals as codes', () => {
    expect(codeCandidates('pression 1,5 bar')).not.toContain('5');
    expect(codeCandidates('pression 1,5 bar')).not.toContain('1');
  });

  it('only calls a number a code when the sentence talks about a code', () => {
    expect(mentionedCodes('Le code 567 signifie une surtension')).toEqual(new Set(['567']));
    expect(mentionedCodes("L'erreur E-99 indique un défaut ventilateur")).toEqual(new Set(['E99']));
    expect(mentionedCodes('Mesurer 230 V sur la prise T2 pendant 10 minutes')).toEqual(new Set());
  });

  it('also looks for the codes of the question, however they are written', () => {
    expect(mentionedCodes('Le U4 vient de la liaison', ['U4'])).toEqual(new Set(['U4']));
  });
});
