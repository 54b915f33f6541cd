import { describe, expect, it } from 'vitest';
import { FALLBACK_NAME, MAX_NAME_BYTES, sameClient, sanitizeName } from '../../src/nextcloud/names.ts';

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe('sanitizeName', () => {
  it.each([
    ['Müller', 'Müller'],
    ['  Müller  ', 'Müller'],
    ['Jean   Müller', 'Jean Müller'],
    ['Jean\t\nMüller', 'Jean Müller'],
    ['Jean\u00a0Müller', 'Jean Müller'],
    ['A/B', 'A B'],
    ['A\\B', 'A B'],
    ['../x', 'x'],
    ['..\\..\\x', 'x'],
    ['Dupont.', 'Dupont'],
    ['.htaccess', 'htaccess'],
    ['...Dupont...', 'Dupont'],
    ['St. Louis', 'St. Louis'],
    ['Résidence "Les Pins"', 'Résidence Les Pins'],
    ['Müller: PAC?', 'Müller PAC'],
    ['a<b>c|d*e', 'a b c d e'],
    ['Bureau\u0000\u001f\u007fNord', 'Bureau Nord'],
    ['Mül\u200bler', 'Müller'],
    ['\u202eMüller', 'Müller'],
    ['Müller 🏠', 'Müller'],
    ['👷‍♂️ Dupont', 'Dupont'],
    ['1️⃣ Dupont', '1 Dupont'],
    ['Société ABC®', 'Société ABC'],
    ['Anti-gel_Dupont', 'Anti-gel_Dupont'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
  });

  it('composes NFD input to NFC', () => {
    const nfd = 'Mu\u0308ller';
    expect(sanitizeName(nfd)).toBe('M\u00fcller');
    expect(sanitizeName(nfd)).not.toBe(nfd);
  });

  it('composes a letter and its accent that a dropped zero-width character separated', () => {
    expect(sanitizeName('Mu\u200b\u0308ller')).toBe('Müller');
  });

  it.each(['', '   ', '.', '..', '...', ' . . ', '/', '../..', '🏠', '\u0000', '\u200b'])(
    'falls back to Sans_nom for %j',
    (raw) => {
      expect(sanitizeName(raw)).toBe(FALLBACK_NAME);
    },
  );

  it('never produces . or .. nor a name with edge dots or spaces', () => {
    for (const raw of ['. .', '.. ..', ' ..x.. ', '\u0000.\u0000', './.', '. / .']) {
      const name = sanitizeName(raw);
      expect(name).not.toMatch(/^[\s.]|[\s.]$/);
      expect(['.', '..', '']).not.toContain(name);
    }
  });

  it('caps a long name at MAX_NAME_BYTES bytes', () => {
    const name = sanitizeName('a'.repeat(300));
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(bytes(name)).toBeGreaterThanOrEqual(MAX_NAME_BYTES - 1);
    expect(name).toBe('a'.repeat(name.length));
  });

  it('cuts between characters, never inside a multi-byte one', () => {
    const name = sanitizeName('é'.repeat(300));
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name).toBe('é'.repeat(name.length));
    expect(name.length).toBeGreaterThan(45);
  });

  it('cuts between graphemes, never between a letter and its combining mark', () => {
    // x has no precomposed form with these marks: one grapheme, 3 code points, 5 bytes.
    const grapheme = 'x\u0323\u0301'.normalize('NFC');
    expect(grapheme).toHaveLength(3);
    const name = sanitizeName(grapheme.repeat(100));
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name).toBe(grapheme.repeat([...new Intl.Segmenter().segment(name)].length));
  });

  it('does not leave a trailing space or dot where it cut', () => {
    const name = sanitizeName(`${'a'.repeat(MAX_NAME_BYTES - 2)} .b`);
    expect(name).toBe('a'.repeat(MAX_NAME_BYTES - 2));
  });

  it.each([
    ['CON', 'CON_'],
    ['con', 'con_'],
    ['Nul', 'Nul_'],
    ['COM1', 'COM1_'],
    ['lpt9', 'lpt9_'],
    ['con.txt', 'con_.txt'],
    ['CON.', 'CON_'],
    ['Conrad', 'Conrad'],
    ['CON Dupont', 'CON Dupont'],
  ])('avoids a Windows reserved name: %j → %j', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
  });

  it.each([
    ['Dupont.part', 'Dupont_part'],
    ['Dupont.PART', 'Dupont_PART'],
    ['Dupont.filepart', 'Dupont_filepart'],
    ['Dupont.part.', 'Dupont_part'],
    ['Dupont.partie', 'Dupont.partie'],
  ])('avoids an extension Nextcloud refuses: %j → %j', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
  });

  it('stays within the cap even when a reserved name gets its underscore', () => {
    const name = sanitizeName(`con.${'x'.repeat(200)}`);
    expect(name.startsWith('con_.')).toBe(true);
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });

  it('is idempotent', () => {
    for (const raw of ['Müller', 'A/B', '../x', 'CON', 'Dupont.part', 'é'.repeat(300), 'Mu\u0308ller 🏠 ']) {
      const once = sanitizeName(raw);
      expect(sanitizeName(once)).toBe(once);
    }
  });
});

describe('sameClient', () => {
  it.each([
    ['Müller', 'muller'],
    ['Müller', 'MULLER'],
    ['Mu\u0308ller', 'Müller'],
    ['  Jean   Müller ', 'jean muller'],
    ['Dupont-Martin', 'dupont martin'],
    ['Dupont_Martin', 'Dupont Martin'],
    ['L’Hôte', "L'Hote"],
    ['Strauß', 'Strauss'],
    ['Lœvenbruck', 'Loevenbruck'],
    ['Müller/PAC', 'Müller PAC'],
    ['Ｍüller', 'Muller'],
  ])('%j is the same client as %j', (a, b) => {
    expect(sameClient(a, b)).toBe(true);
    expect(sameClient(b, a)).toBe(true);
  });

  it.each([
    ['Müller', 'Muler'],
    ['Müller', 'Müller PAC'],
    ['Jean Müller', 'Müller'],
    ['Dupont', 'Dupond'],
  ])('%j is not the same client as %j', (a, b) => {
    expect(sameClient(a, b)).toBe(false);
  });

  it('compares names without letters or digits by their exact sanitised form only', () => {
    expect(sameClient('!!!', '!!!')).toBe(true);
    expect(sameClient('!!!', '---')).toBe(false);
    expect(sameClient('!!!', 'Müller')).toBe(false);
  });

  it('matches a long name against the truncated folder made from it', () => {
    const long = `Résidence ${'les tilleuls '.repeat(30)}`;
    expect(sameClient(sanitizeName(long), long)).toBe(true);
  });
});
