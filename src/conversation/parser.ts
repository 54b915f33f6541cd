/**
 * The universal input of the three reports: `Chantier / texte`, typed on a phone with gloves.
 *
 * Rules, in the order they apply (each one has a test in test/conversation/parser.test.ts):
 *
 * 1. Normalise: NFC (an NFD `Mu\u0308ller` becomes `Müller`), line breaks `\r\n`, `\r`, U+2028/9
 *    and U+0085 become `\n`, every line is trimmed, leading and trailing blank lines go.
 * 2. Chantier: the first `/` of the FIRST LINE splits chantier from text; later slashes stay in
 *    the text (`Müller / 2/3 panneaux` → `Müller`, `2/3 panneaux`). The chantier's whitespace is
 *    collapsed to single spaces. There is no chantier (the whole input is the text) when:
 *    - the first line has no separator, so a slash on a later line is always text;
 *    - the separator has nothing before it (`/ texte` → text `texte`, the slash is dropped);
 *    - the first line starts with an item marker (`- a / b` is a list, not a chantier `- a`).
 *    A slash is not a separator when it is glued between two digits (`2/3`, `12/05/2025`: a
 *    fraction or a date) or part of a URL (`scheme://…` up to the next whitespace), so
 *    `http://x/y` alone has no chantier. Any other character may be in a chantier, `:` too
 *    (`Müller: bât. B / fuite` → chantier `Müller: bât. B`). Commands are handled before this
 *    parser; were `/fin` passed, it would give no chantier and the text `fin`.
 * 3. Text: everything after the separator, normalised as in 1; inner spaces of a line and blank
 *    lines between lines are kept as typed. It is the whole message, list included.
 * 4. Items: a marker is a run of `-`, `–`, `—`, `•` or `*` that starts a line or follows
 *    whitespace, AND is followed by whitespace, the end of the line or a letter. So `- a - b`,
 *    one item per line, and glove-typed `-cuivre` are items; a hyphen inside a word (`anti-gel`,
 *    `28-mm`), a marker glued to a digit (`-5°C`, `-20 %`: a value) and an arrow (`->`) are not.
 *    Write `- 5 tubes` for an item that starts with a number.
 *    An item runs to the next marker; a following line without a marker continues it (joined
 *    with a space), a blank line ends it. Text before the first marker (an intro such as
 *    `urgent :`) and text after a blank line that follows the list are not items: they remain
 *    in `text` only. Items have their whitespace collapsed and trailing `,` `;` removed; empty
 *    items (`- - a`) are dropped. No marker, no items: the text is free.
 *
 * Pure: no I/O, no clock. Linear in the input: no regex here may backtrack over a run of characters.
 */

import { trimEndWhere } from '../text/trim-edges.ts';
import { findUrls } from './url-spans.ts';

export interface ParsedReport {
  /** The site (client) name, or undefined when the input names none. */
  readonly chantier: string | undefined;
  /** Everything after the chantier, NFC, lines trimmed; the whole input when there is no chantier. */
  readonly text: string;
  /** The list items of `text`; empty when the text is free. */
  readonly items: string[];
}

export function parseReportText(input: string): ParsedReport {
  const tidy = tidyLines(normaliseLineBreaks(input.normalize('NFC')));
  const { chantier, rest } = splitChantier(tidy);
  const text = tidyLines(rest);
  return { chantier, text, items: listItems(text) };
}

// A marker run glued to a letter counts (gloves skip spaces); glued to a digit it is a sign.
const ITEM_MARKER = /(?<=^|\s)[-–—•*]+(?=\s|$|\p{L})/gu;
const STARTS_WITH_ITEM_MARKER = /^[-–—•*]+(?=\s|$|\p{L})/u;

/**
 * The text with every item marker written `•`, the list as it reads where a leading `-` would be
 * taken for a formula (a spreadsheet cell).
 */
export function withBullets(text: string): string {
  return text.replace(ITEM_MARKER, '•');
}

function normaliseLineBreaks(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/gu, '\n');
}

function tidyLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

function splitChantier(tidy: string): { chantier: string | undefined; rest: string } {
  const lineEnd = tidy.indexOf('\n');
  const firstLine = lineEnd < 0 ? tidy : tidy.slice(0, lineEnd);
  if (STARTS_WITH_ITEM_MARKER.test(firstLine)) return { chantier: undefined, rest: tidy };
  const separator = findSeparator(firstLine);
  if (separator < 0) return { chantier: undefined, rest: tidy };
  const chantier = collapseWhitespace(firstLine.slice(0, separator));
  return { chantier: chantier === '' ? undefined : chantier, rest: tidy.slice(separator + 1) };
}

function findSeparator(line: string): number {
  const urls = findUrls(line);
  let url = 0; // urls before this one end before the slash being looked at: slashes only move right
  for (let index = line.indexOf('/'); index >= 0; index = line.indexOf('/', index + 1)) {
    while (url < urls.length && urls[url]!.end <= index) url += 1;
    const insideUrl = url < urls.length && urls[url]!.start <= index;
    if (!insideUrl && !isBetweenDigits(line, index)) return index;
  }
  return -1;
}

function isBetweenDigits(line: string, index: number): boolean {
  return /\d/u.test(line.charAt(index - 1)) && /\d/u.test(line.charAt(index + 1));
}

function listItems(text: string): string[] {
  const fragmentsPerItem: string[][] = [];
  let inItem = false; // false in an intro, or after a blank line
  for (const line of text.split('\n')) {
    if (line === '') {
      inItem = false;
      continue;
    }
    const markers = [...line.matchAll(ITEM_MARKER)];
    if (inItem) fragmentsPerItem.at(-1)!.push(line.slice(0, markers[0]?.index ?? line.length));
    markers.forEach((marker, position) => {
      const end = markers[position + 1]?.index ?? line.length;
      fragmentsPerItem.push([line.slice(marker.index + marker[0].length, end)]);
    });
    inItem ||= markers.length > 0;
  }
  return fragmentsPerItem.map((fragments) => tidyItem(fragments.join(' '))).filter((item) => item !== '');
}

function tidyItem(item: string): string {
  return collapseWhitespace(trimEndWhere(collapseWhitespace(item), (char) => char === ',' || char === ';'));
}
