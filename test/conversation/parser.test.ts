import { describe, expect, it } from 'vitest';
import { parseReportText, type ParsedReport } from '../../src/conversation/parser.ts';

type Case = readonly [name: string, input: string, expected: ParsedReport];

const report = (chantier: string | undefined, text: string, items: string[] = []): ParsedReport => ({
  chantier,
  text,
  items,
});

const specExamples: Case[] = [
  [
    'the design example: a one-line list after the chantier',
    'Müller / - cuivre 28mm - disconnecteur - soupape anti-gel',
    report('Müller', '- cuivre 28mm - disconnecteur - soupape anti-gel', [
      'cuivre 28mm',
      'disconnecteur',
      'soupape anti-gel',
    ]),
  ],
  ['only the first slash splits', 'Müller / 2/3 panneaux posés', report('Müller', '2/3 panneaux posés')],
  [
    'no slash: no chantier, the whole input is the text',
    'Fuite sous l’évier',
    report(undefined, 'Fuite sous l’évier'),
  ],
  ['a slash at the very start: no chantier, the slash is dropped', '/ texte', report(undefined, 'texte')],
  ['nothing after the slash: empty text', 'Müller/', report('Müller', '')],
];

const chantierCases: Case[] = [
  ['no spaces around the slash', 'Müller/texte', report('Müller', 'texte')],
  ['A / B / C keeps later slashes in the text', 'A / B / C', report('A', 'B / C')],
  ['multiple slashes glued', 'Müller//texte', report('Müller', '/texte')],
  [
    'inner runs of whitespace in the chantier collapse',
    '  Jean   Müller\t / fuite',
    report('Jean Müller', 'fuite'),
  ],
  ['non-breaking spaces count as spaces', 'Müller\u00a0\u202f/\u00a0fuite', report('Müller', 'fuite')],
  ['only a chantier and spaces after it', 'Müller /   ', report('Müller', '')],
  ['only a slash', '/', report(undefined, '')],
  ['spaces before the first slash only', '   /  fuite / joint', report(undefined, 'fuite / joint')],
  ['only spaces', ' \t  ', report(undefined, '')],
  ['the empty string', '', report(undefined, '')],
  ['only newlines and spaces', '\n \r\n \n', report(undefined, '')],
  ['leading and trailing spaces and newlines', '\n\n  Müller / fuite  \n\n', report('Müller', 'fuite')],
  ['a chantier may contain a colon', 'Müller: bât. B / fuite', report('Müller: bât. B', 'fuite')],
  [
    'a chantier may contain a hyphen with spaces',
    'Müller - Colmar / fuite',
    report('Müller - Colmar', 'fuite'),
  ],
  ['a hyphenated chantier', 'Jean-Pierre / ok', report('Jean-Pierre', 'ok')],
  ['a URL alone does not split at its slashes', 'http://x/y', report(undefined, 'http://x/y')],
  [
    'a URL after some words does not split either',
    'voir https://ex.fr/a/b',
    report(undefined, 'voir https://ex.fr/a/b'),
  ],
  ['a URL in the text after a chantier', 'Müller / voir http://x/y', report('Müller', 'voir http://x/y')],
  ['a URL glued to the separator', 'Müller/http://x/y', report('Müller', 'http://x/y')],
  [
    'a fraction without chantier is not a separator',
    '2/3 panneaux posés',
    report(undefined, '2/3 panneaux posés'),
  ],
  [
    'a date without chantier is not a separator',
    'passage le 12/05/2025',
    report(undefined, 'passage le 12/05/2025'),
  ],
  ['a slash after a fraction still splits', 'Lot 2/3 / posé', report('Lot 2/3', 'posé')],
  ['a digit then a letter around the slash still splits', '12/fuite', report('12', 'fuite')],
  [
    'a slash on a later line is text, not a separator',
    'Fuite au sous-sol\ncuivre/PER à changer',
    report(undefined, 'Fuite au sous-sol\ncuivre/PER à changer'),
  ],
  [
    'a chantier alone on its line, slash below: no chantier',
    'Müller\n/ fuite',
    report(undefined, 'Müller\n/ fuite'),
  ],
  [
    'a list whose first item holds a slash has no chantier',
    '- tube 28/22 / réduction - coude',
    report(undefined, '- tube 28/22 / réduction - coude', ['tube 28/22 / réduction', 'coude']),
  ],
  ['a command that slipped through gives no chantier', '/fin', report(undefined, 'fin')],
];

const normalisationCases: Case[] = [
  ['NFD input comes out NFC', 'Mu\u0308ller / re\u0301glage', report('Müller', 'réglage')],
  ['emoji are kept', '🏠 Müller / ✅ fini 👍', report('🏠 Müller', '✅ fini 👍')],
  [
    'emoji sequences (ZWJ, skin tone, flag) are kept intact',
    'Müller / 👷🏽‍♂️ ok 🇫🇷',
    report('Müller', '👷🏽‍♂️ ok 🇫🇷'),
  ],
  ['accents and ligatures are kept', 'Œuvre Lefèvre / ça chauffe', report('Œuvre Lefèvre', 'ça chauffe')],
  [
    'Windows line breaks become \\n and lines are trimmed',
    'Müller / ligne 1  \r\n   ligne 2\r\n',
    report('Müller', 'ligne 1\nligne 2'),
  ],
  ['old Mac line breaks become \\n', 'Müller / a\rb', report('Müller', 'a\nb')],
  [
    'free text keeps its line breaks and blank lines',
    'Müller /\nFuite au raccord.\n\n  Client absent.  ',
    report('Müller', 'Fuite au raccord.\n\nClient absent.'),
  ],
  ['free text keeps inner spaces of a line', 'Müller / 3  tubes', report('Müller', '3  tubes')],
];

const listCases: Case[] = [
  [
    'items one per line',
    'Müller /\n- cuivre 28mm\n- disconnecteur',
    report('Müller', '- cuivre 28mm\n- disconnecteur', ['cuivre 28mm', 'disconnecteur']),
  ],
  ['bullets •', 'Müller / • a • b', report('Müller', '• a • b', ['a', 'b'])],
  ['stars *', 'Müller /\n* a\n* b', report('Müller', '* a\n* b', ['a', 'b'])],
  ['en dashes –', 'Müller / – a – b', report('Müller', '– a – b', ['a', 'b'])],
  ['em dashes —', 'Müller / — a — b', report('Müller', '— a — b', ['a', 'b'])],
  ['mixed markers', 'Müller / - a • b\n* c – d', report('Müller', '- a • b\n* c – d', ['a', 'b', 'c', 'd'])],
  ['a doubled marker counts as one', 'Müller / -- a -- b', report('Müller', '-- a -- b', ['a', 'b'])],
  [
    'a marker glued to a word (gloves)',
    'Müller / -cuivre -coude',
    report('Müller', '-cuivre -coude', ['cuivre', 'coude']),
  ],
  [
    'hyphens inside words are not separators',
    '- anti-gel - Jean-Pierre - 28-mm',
    report(undefined, '- anti-gel - Jean-Pierre - 28-mm', ['anti-gel', 'Jean-Pierre', '28-mm']),
  ],
  [
    'a negative temperature is a value, not an item',
    'Müller / PAC en défaut à -5°C',
    report('Müller', 'PAC en défaut à -5°C'),
  ],
  [
    'a negative value inside an item stays in the item',
    'Müller / - antigel -10 °C - purgeur',
    report('Müller', '- antigel -10 °C - purgeur', ['antigel -10 °C', 'purgeur']),
  ],
  [
    'a marker with a space before a number starts an item',
    '- 5 tubes - 2 coudes',
    report(undefined, '- 5 tubes - 2 coudes', ['5 tubes', '2 coudes']),
  ],
  ['an arrow is not a marker', 'Müller / vanne -> fermée', report('Müller', 'vanne -> fermée')],
  ['a star glued to a digit is not a marker', 'Müller / code *123#', report('Müller', 'code *123#')],
  ['empty items are dropped', 'Müller / - - a -', report('Müller', '- - a -', ['a'])],
  ['a marker alone', '- ', report(undefined, '-')],
  ['only markers', '- • * –', report(undefined, '- • * –')],
  [
    'an intro before the first marker stays in the text and is not an item',
    'Müller / urgent : - vanne 3 voies - sonde',
    report('Müller', 'urgent : - vanne 3 voies - sonde', ['vanne 3 voies', 'sonde']),
  ],
  [
    'an intro on its own line',
    'Müller /\nPour demain :\n- a\n- b',
    report('Müller', 'Pour demain :\n- a\n- b', ['a', 'b']),
  ],
  [
    'a line without a marker continues the item above',
    'Müller /\n- cuivre 28mm\nen barres de 5 m\n- coude',
    report('Müller', '- cuivre 28mm\nen barres de 5 m\n- coude', ['cuivre 28mm en barres de 5 m', 'coude']),
  ],
  [
    'a blank line ends the list; text after it is not an item',
    'Müller /\n- a\n- b\n\nMerci de livrer jeudi',
    report('Müller', '- a\n- b\n\nMerci de livrer jeudi', ['a', 'b']),
  ],
  [
    'items separated by blank lines are all kept',
    'Müller /\n- a\n\n- b',
    report('Müller', '- a\n\n- b', ['a', 'b']),
  ],
  [
    'trailing commas and semicolons are dropped from items',
    'Müller / - cuivre, - coude; - joint',
    report('Müller', '- cuivre, - coude; - joint', ['cuivre', 'coude', 'joint']),
  ],
  [
    'inner whitespace of an item collapses',
    'Müller / -  tube \t 28mm',
    report('Müller', '-  tube \t 28mm', ['tube 28mm']),
  ],
  [
    'emoji in items are kept',
    'Müller / - 🔧 clé - 🔩 vis',
    report('Müller', '- 🔧 clé - 🔩 vis', ['🔧 clé', '🔩 vis']),
  ],
  [
    'a list without chantier',
    '- cuivre\n- coude',
    report(undefined, '- cuivre\n- coude', ['cuivre', 'coude']),
  ],
  [
    'slashes inside items stay',
    'Müller / - raccord 3/4 - té 20/27',
    report('Müller', '- raccord 3/4 - té 20/27', ['raccord 3/4', 'té 20/27']),
  ],
  ['Windows line breaks in a list', 'Müller /\r\n- a\r\n- b\r\n', report('Müller', '- a\n- b', ['a', 'b'])],
  [
    'NFD items come out NFC',
    'Mu\u0308ller / - de\u0301tendeur',
    report('Müller', '- détendeur', ['détendeur']),
  ],
];

const allCases = [...specExamples, ...chantierCases, ...normalisationCases, ...listCases];

describe('parseReportText', () => {
  describe.each([
    ['spec examples', specExamples],
    ['chantier', chantierCases],
    ['normalisation', normalisationCases],
    ['lists', listCases],
  ] as const)('%s', (_group, cases) => {
    it.each(cases)('%s', (_name, input, expected) => {
      expect(parseReportText(input)).toEqual(expected);
    });
  });

  it('has at least 30 edge cases besides the spec examples', () => {
    expect(allCases.length - specExamples.length).toBeGreaterThanOrEqual(30);
  });

  it.each(allCases)('keeps its invariants for: %s', (_name, input) => {
    const { chantier, text, items } = parseReportText(input);
    for (const output of [chantier ?? 'x', text, ...items]) expect(output.normalize('NFC')).toBe(output);
    if (chantier !== undefined) expect(chantier).toMatch(/^\S(?:\S| (?=\S))*$/u);
    expect(text).toBe(text.trim());
    expect(text).not.toMatch(/\r/u);
    for (const item of items) expect(item).toMatch(/^\S(?:\S| (?=\S))*$/u);
  });

  it('parses a very long input completely', () => {
    const items = Array.from({ length: 5000 }, (_, index) => `pièce ${index} anti-gel -5°C`);
    const input = `Mu\u0308ller /\n${items.map((item) => `- ${item}`).join('\n')}`;
    const parsed = parseReportText(input);
    expect(parsed.chantier).toBe('Müller');
    expect(parsed.items).toEqual(items);
  });

  it('handles a very long run of markers and spaces', () => {
    const input = `Müller / ${'- '.repeat(50_000)}fin ${'-'.repeat(50_000)}`;
    expect(parseReportText(input).items).toEqual(['fin']);
  });
});
