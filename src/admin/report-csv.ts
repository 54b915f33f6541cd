import { withBullets } from '../conversation/parser.ts';
import { REPORT_KIND_NAMES } from '../conversation/texts.ts';
import { reportItems, reportMedia } from '../reports/report-store.ts';
import type { ViewableReportRow } from './report-view.ts';
import { zonedDateTime } from './zoned-days.ts';

/**
 * The reports as a CSV file for the office's Excel, which in France:
 * - splits columns on `;` (its list separator, since `,` is the decimal mark);
 * - reads UTF-8 only when the file starts with a byte-order mark, else accents break (`MÃ¼ller`);
 * - runs a cell starting with `=`, `+`, `-`, `@` (or tab, CR) as a formula: such cells get a
 *   leading `'` (https://owasp.org/www-community/attacks/CSV_Injection), which Excel shows. So
 *   lists are written with `•` (`• cuivre 28mm • disconnecteur`), which needs no guard; the
 *   guard stays for everything else.
 * Fields are quoted only when they must be (RFC 4180: `;`, `"`, line breaks), lines end in CRLF.
 * Pure.
 */

export const CSV_SEPARATOR = ';';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
const BOM = '\uFEFF';
const LINE_END = '\r\n';
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[;"\r\n]/;
/** Items share one cell, each after a bullet; a line break would make rows tall in Excel. */
const BULLET = '• ';

const TYPE_LABELS: Readonly<Record<string, string>> = REPORT_KIND_NAMES;
const STATUS_LABELS: Readonly<Record<string, string>> = {
  received: 'reçu',
  done: 'traité',
  failed: 'en échec',
};

export function reportsCsv(rows: readonly ViewableReportRow[], timeZone: string): string {
  const header = [
    'Identifiant',
    'Type',
    `Date (${timeZone})`,
    'Technicien',
    'Chantier',
    'Texte',
    'Articles',
    'Photos',
    'Statut',
    'Dossier Nextcloud',
    'Carte Deck',
    'Lien carte Deck',
  ];
  const lines = [header, ...rows.map((row) => reportCells(row, timeZone))].map(csvLine);
  return BOM + lines.join('');
}

function reportCells(row: ViewableReportRow, timeZone: string): string[] {
  const items = reportItems(row);
  return [
    row.public_id,
    TYPE_LABELS[row.kind] ?? row.kind,
    zonedDateTime(row.created_at, timeZone),
    row.technician_name,
    row.chantier,
    items.length > 0 ? withBullets(row.text) : row.text,
    items.map((item) => BULLET + item).join(' '),
    String(reportMedia(row).length),
    STATUS_LABELS[row.status] ?? row.status,
    row.folder ?? '',
    row.deck_card_id == null ? '' : String(row.deck_card_id),
    row.deck_card_url ?? '',
  ];
}

function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(CSV_SEPARATOR) + LINE_END;
}

/** One cell: formulas neutralised, quoted when the value holds a separator, a quote or a line break. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
