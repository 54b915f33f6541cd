import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CSV_SEPARATOR, csvField, reportsCsv } from '../../src/admin/report-csv.ts';
import type { ViewableReportRow } from '../../src/admin/report-view.ts';

const BOM = '\uFEFF';

function row(overrides: Partial<ViewableReportRow> = {}): ViewableReportRow {
  return {
    id: 1,
    public_id: 'MAT-0001',
    kind: 'materiel',
    seq: 1,
    slug: 'etm-terrain',
    source_key: 'u1',
    chat_id: 111111111,
    user_id: 111111111,
    technician_name: 'Jean Test',
    chantier: 'Müller',
    text: '- cuivre 28mm - disconnecteur',
    items: JSON.stringify(['cuivre 28mm', 'disconnecteur']),
    media: JSON.stringify([{ messageId: 5 }, { messageId: 6 }]),
    status: 'received',
    created_at: new Date('2026-03-25T14:30:00Z').getTime(),
    updated_at: new Date('2026-03-25T14:30:00Z').getTime(),
    confirmed_at: null,
    ...overrides,
  } as ViewableReportRow;
}

/** Splits a CSV produced with minimal quoting (RFC 4180) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const next = text[i + 1];
    if (quoted && char === '"' && next === '"') {
      cell += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += char;
    } else if (char === CSV_SEPARATOR) {
      cells.push(cell);
      cell = '';
    } else if (char === '\r' && next === '\n') {
      cells.push(cell);
      rows.push(cells);
      cells = [];
      cell = '';
      i++;
    } else {
      cell += char;
    }
  }
  expect(cell, 'the file ends with CRLF').toBe('');
  return rows;
}

describe('reportsCsv', () => {
  it('starts with a UTF-8 byte-order mark and a French header, separated by semicolons', () => {
    const csv = reportsCsv([], 'Europe/Paris');
    expect(csv.startsWith(BOM)).toBe(true);
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv).toBe(
      `${BOM}Identifiant;Type;Date (Europe/Paris);Technicien;Chantier;Texte;Articles;Photos;Statut;Dossier Nextcloud;Carte Deck;Lien carte Deck\r\n`,
    );
  });

  it('writes one row per report with the date in the report time zone', () => {
    const [, line] = parseCsv(reportsCsv([row()], 'Europe/Paris').slice(1));
    expect(line).toEqual([
      'MAT-0001',
      'Matériel manquant',
      '2026-03-25 15:30',
      'Jean Test',
      'Müller',
      '• cuivre 28mm • disconnecteur',
      '• cuivre 28mm • disconnecteur',
      '2',
      'reçu',
      '',
      '',
      '',
    ]);
  });

  it('fills the Nextcloud folder and Deck card columns when the report has them', () => {
    const filed = row({
      folder: 'Logistique/Manquants/Müller',
      deck_card_id: 42,
      deck_card_url: 'https://cloud.example.invalid/apps/deck/card/42',
    });
    const [, line] = parseCsv(reportsCsv([filed], 'UTC').slice(1));
    expect(line!.slice(-3)).toEqual([
      'Logistique/Manquants/Müller',
      '42',
      'https://cloud.example.invalid/apps/deck/card/42',
    ]);
    expect(line![2]).toBe('2026-03-25 14:30');
  });

  it('quotes separators, quotes and line breaks so that every cell comes back whole', () => {
    const tricky = row({
      kind: 'sav',
      chantier: 'Dupont; "Le Moulin"',
      text: 'Fuite au disconnecteur\nsous l’évier, ça goutte',
      items: '[]',
      media: '[]',
    });
    const csv = reportsCsv([tricky], 'Europe/Paris');
    expect(csv).toContain(';"Dupont; ""Le Moulin""";"Fuite au disconnecteur\nsous l’évier, ça goutte";');
    const [header, line] = parseCsv(csv.slice(1));
    expect(line).toHaveLength(header!.length);
    expect(line![4]).toBe('Dupont; "Le Moulin"');
    expect(line![5]).toBe('Fuite au disconnecteur\nsous l’évier, ça goutte');
    expect(line![1]).toBe('Alerte SAV');
  });

  it('writes lists with bullets, so Excel shows them without a guard, and guards a free text', () => {
    const list = row({
      text: '-cuivre 28mm\n- disconnecteur, anti-gel',
      items: JSON.stringify(['cuivre 28mm', 'disconnecteur, anti-gel']),
    });
    const free = row({ kind: 'sav', text: '-5°C dehors, PAC en défaut', items: '[]' });
    const [, listLine, freeLine] = parseCsv(reportsCsv([list, free], 'UTC').slice(1));
    expect(listLine!.slice(5, 7)).toEqual([
      '•cuivre 28mm\n• disconnecteur, anti-gel',
      '• cuivre 28mm • disconnecteur, anti-gel',
    ]);
    expect(freeLine!.slice(5, 7)).toEqual(["'-5°C dehors, PAC en défaut", '']);
  });

  it('never lets a cell start as a formula, whatever was typed', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 4 }), (text, items) => {
        const csv = reportsCsv([row({ chantier: text, text, items: JSON.stringify(items) })], 'UTC');
        const [, line] = parseCsv(csv.slice(1));
        for (const cell of line!) expect(cell).not.toMatch(/^[=+\-@\t\r]/u);
      }),
    );
  });

  it('writes the example openapi.yaml shows for the export', () => {
    const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
    const example: unknown =
      spec.paths['/admin/reports.csv'].get.responses['200'].content['text/csv'].examples['two-reports'].value;
    const materiel = row({
      public_id: 'MAT-0013',
      created_at: new Date('2026-03-25T14:05:00Z').getTime(),
      media: '[]',
    });
    const sav = row({
      public_id: 'SAV-0042',
      kind: 'sav',
      created_at: new Date('2026-03-25T09:12:00Z').getTime(),
      chantier: 'Dupont; "Le Moulin"',
      text: 'PAC en défaut, code E7',
      items: '[]',
      status: 'done',
      folder: 'SAV_Urgent/2026-03-25_Dupont; Le Moulin',
      deck_card_id: 317,
      deck_card_url: 'https://cloud.example.invalid/index.php/apps/deck/board/3/card/317',
    });
    expect(example).toBe(reportsCsv([materiel, sav], 'Europe/Paris'));
  });

  it('keeps the newest-first order it is given', () => {
    const rows = [row({ public_id: 'SAV-0002' }), row({ public_id: 'FIN-0001' })];
    const lines = parseCsv(reportsCsv(rows, 'Europe/Paris').slice(1));
    expect(lines.map((line) => line[0])).toEqual(['Identifiant', 'SAV-0002', 'FIN-0001']);
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a, b', 'a, b'],
    ['a;b', '"a;b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+33 6 00 00 00 00', "'+33 6 00 00 00 00"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-cuivre', "'-cuivre"],
    ['=A1;B1', `"'=A1;B1"`],
    ['', ''],
  ])('writes %j as %j', (value, cell) => {
    expect(csvField(value)).toBe(cell);
  });
});
