/**
 * Client and chantier names typed by technicians, made safe to use as one Nextcloud path segment,
 * and compared the way the office reads them. Pure: no I/O.
 *
 * Nextcloud refuses (FilenameValidator, NC ≥ 30): `/`, `\`, control characters, empty names,
 * `.` and `..`, more than 250 bytes, `.part`/`.filepart` endings, `.htaccess`; admins may add the
 * Windows rules (`<>:"|?*`, `CON`, `NUL`…), and MySQL without utf8mb4 refuses 4-byte UTF-8. We
 * produce names that survive the strictest of these, so that a name never fails on upload.
 */

import { trimEdgesWhere } from '../text/trim-edges.ts';

/** Upper bound of `sanitizeName`'s output in UTF-8 bytes: far under Nextcloud's 250, and it keeps
 * `Chantiers/YYYYMMDD_<name>/30_Photos_Chantier/photo_…` under Windows' 260-character paths on the
 * office's synced desktops. */
export const MAX_NAME_BYTES = 100;

/** What a name becomes when nothing usable is left of it. */
export const FALLBACK_NAME = 'Sans_nom';

// Separators and characters refused by Nextcloud or by Windows clients: replaced by a space so
// that `Dupont/Martin` stays two readable words (`Dupont Martin`).
const SEPARATING_CHARACTERS = /[\p{Cc}/\\<>:"|?*]/gu;

// Invisible or unrepresentable code points, dropped without a trace: format characters (zero-width
// spaces, bidi overrides, soft hyphens, ZWJ), lone surrogates, private use, the replacement
// character, emoji and every code point outside the BMP (4 bytes in UTF-8), plus the emoji
// variation selectors and keycap mark that would be left orphaned by dropping the emoji (the
// mark outside the class: a combining mark inside one reads as if it combined with its neighbour).
const DROPPED_CHARACTERS =
  /[\p{Cf}\p{Cs}\p{Co}\p{Extended_Pictographic}\u{10000}-\u{10FFFF}\p{Variation_Selector}\uFFFD]|\u20E3/gu;

const DOT_OR_SPACE = /^[\s.]$/u;

// Nextcloud checks `str_ends_with(strtolower($name), $extension)`.
const FORBIDDEN_EXTENSION = /\.(part|filepart)$/i;

// Windows reserved device names, as in Nextcloud's `forbidden_filename_basenames` suggestion; the
// basename is the part before the first dot, compared without case.
const RESERVED_BASENAMES = new Set([
  'con',
  'prn',
  'aux',
  'nul',
  'conin$',
  'conout$',
  ...['com', 'lpt'].flatMap((device) =>
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '¹', '²', '³'].map((digit) => device + digit),
  ),
]);

const utf8 = new TextEncoder();
const graphemes = new Intl.Segmenter('fr', { granularity: 'grapheme' });

/**
 * A technician's client or chantier name as one safe path segment: NFC, no separators, control or
 * invisible characters, no emoji, single spaces, no leading or trailing dots and spaces, at most
 * `MAX_NAME_BYTES` bytes cut between graphemes, never `.` or `..`, never a reserved name, and
 * `FALLBACK_NAME` when nothing is left.
 *
 * `Müller` → `Müller`; `A/B` → `A B`; `../x` → `x`; `Dupont.` → `Dupont`; `CON` → `CON_`.
 */
export function sanitizeName(raw: string): string {
  const cleaned = raw
    .replace(SEPARATING_CHARACTERS, ' ')
    .replace(DROPPED_CHARACTERS, '')
    // After the drops: removing a zero-width character can bring a letter next to its accent.
    .normalize('NFC')
    .replace(/\s+/gu, ' ');
  // One byte is kept for the underscore a reserved basename may receive.
  const capped = trimDotsAndSpaces(truncateUtf8(trimDotsAndSpaces(cleaned), MAX_NAME_BYTES - 1));
  const safe = avoidReservedBasename(avoidForbiddenExtension(capped));
  return safe === '' ? FALLBACK_NAME : safe;
}

/**
 * Whether two names designate the same client for the office: equal once sanitised and compared
 * without case, accents and punctuation (`Müller`, `muller`, `MULLER `; `Dupont-Martin`,
 * `dupont_martin`, `Dupont Martin`; `L'Hôte`, `L’Hote`). Names with no letter or digit at all
 * match only when their sanitised forms are identical.
 */
export function sameClient(a: string, b: string): boolean {
  const [safeA, safeB] = [sanitizeName(a), sanitizeName(b)];
  const [keyA, keyB] = [comparisonKey(safeA), comparisonKey(safeB)];
  return keyA === '' || keyB === '' ? safeA === safeB : keyA === keyB;
}

// Letters that NFKD does not decompose into a base letter plus marks.
const UNDECOMPOSED_LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};

/** The words of a name (letters and digits), lower-case, without accents, joined by one space. */
function comparisonKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/gu, (letter) => UNDECOMPOSED_LETTERS[letter] ?? letter)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .join(' ');
}

function trimDotsAndSpaces(name: string): string {
  return trimEdgesWhere(name, (char) => DOT_OR_SPACE.test(char));
}

/** The longest prefix of whole graphemes that fits in `maxBytes` of UTF-8. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let kept = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    bytes += utf8.encode(segment).length;
    if (bytes > maxBytes) break;
    kept += segment;
  }
  return kept;
}

function avoidForbiddenExtension(name: string): string {
  return name.replace(FORBIDDEN_EXTENSION, '_$1');
}

function avoidReservedBasename(name: string): string {
  const dot = name.indexOf('.');
  const basename = dot === -1 ? name : name.slice(0, dot);
  if (!RESERVED_BASENAMES.has(basename.toLowerCase())) return name;
  return `${basename}_${name.slice(basename.length)}`;
}
