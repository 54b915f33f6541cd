/**
 * Where each report is filed in Nextcloud and how its files are named, exactly as the business
 * specified (README, "What the office gets"). Pure: the time zone, the dates and the folder listings are passed in.
 *
 *   fin       Chantiers/YYYYMMDD_Client/30_Photos_Chantier/photo_NN_YYYYMMDD_HHMMSS.jpg
 *   sav       SAV_Urgent/YYYY-MM-DD_Client/photo_NN_YYYYMMDD_HHMMSS.jpg
 *   materiel  Logistique/Manquants/Client/photo_YYYYMMDD_HHMMSS.jpg, then photo_YYYYMMDD_HHMMSS_NN.jpg
 *
 * Dates are the Telegram message `date` (Unix seconds) shown in the company's time zone, never UTC.
 */
import { sameClient, sanitizeName } from './names.ts';

import type { ReportKind } from '../conversation/state.ts';

export type { ReportKind };

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** Calendar fields of an instant in a time zone, zero-padded (`year` 4 digits, the others 2). */
export interface LocalDateTime {
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // `hourCycle: 'h23'` because `hour12: false` renders midnight as "24" in some ICU versions.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * The wall-clock date and time of `date` (Unix seconds) in `timeZone` (IANA name). Throws a
 * RangeError for an unknown time zone or a date that is not a finite number.
 */
export function localDateTime(date: number, timeZone: string = DEFAULT_TIME_ZONE): LocalDateTime {
  if (!Number.isFinite(date)) throw new RangeError(`date must be Unix seconds, got ${String(date)}`);
  const parts = formatterFor(timeZone).formatToParts(new Date(date * 1000));
  const field = (type: Intl.DateTimeFormatPartTypes, width: number) =>
    (parts.find((part) => part.type === type)?.value ?? '').padStart(width, '0');
  return {
    year: field('year', 4),
    month: field('month', 2),
    day: field('day', 2),
    hour: field('hour', 2),
    minute: field('minute', 2),
    second: field('second', 2),
  };
}

const compactDate = (t: LocalDateTime) => `${t.year}${t.month}${t.day}`;
const isoDate = (t: LocalDateTime) => `${t.year}-${t.month}-${t.day}`;
const compactTime = (t: LocalDateTime) => `${t.hour}${t.minute}${t.second}`;

/** A folder as path segments (each NFC, each safe for Nextcloud) and as their `/`-joined form. */
export interface ReportFolder {
  readonly segments: readonly string[];
  /** `segments.join('/')`: relative to the user's WebDAV root, no leading or trailing slash. */
  readonly path: string;
}

export interface ReportFolderResult extends ReportFolder {
  /** True when an existing client folder from the listing was chosen instead of a new name. */
  readonly reused: boolean;
}

const CLIENT_FOLDERS_PARENT: Readonly<Record<ReportKind, readonly string[]>> = {
  fin: ['Chantiers'],
  sav: ['SAV_Urgent'],
  materiel: ['Logistique', 'Manquants'],
};

const FIN_PHOTOS_FOLDER = '30_Photos_Chantier';

function folder(segments: readonly string[]): ReportFolder {
  return { segments, path: segments.join('/') };
}

/**
 * The folder that holds the client folders of a kind of report (`Chantiers`, `SAV_Urgent`,
 * `Logistique/Manquants`): list it and pass the names to `reportFolder` so that the client's
 * existing folder is reused.
 */
export function clientFoldersParent(kind: ReportKind): ReportFolder {
  return folder(CLIENT_FOLDERS_PARENT[kind]);
}

/**
 * The folder a report's photos (and, for sav and materiel, its Markdown report) go into.
 *
 * `date` is the report's message date in Unix seconds (e.g. its first message), shown in
 * `timeZone`. `existingFolders` are the (URL-decoded) names listed in `clientFoldersParent(kind)`;
 * a folder of the same client (`sameClient`: no case, accents or punctuation) is reused instead of
 * a new one:
 * - fin: any `YYYYMMDD_<client>`, whatever its date; among several, the most recent date prefix;
 * - sav: `YYYY-MM-DD_<client>` of the same day only (one incident folder per client and day);
 * - materiel: `<client>`.
 * Ties are broken by preferring the exact sanitised spelling, then the smallest name in code-unit
 * order, so the choice never depends on the listing's order.
 *
 *   reportFolder('fin', 'Müller', 1774445412)
 *     → { segments: ['Chantiers', '20260325_Müller', '30_Photos_Chantier'],
 *         path: 'Chantiers/20260325_Müller/30_Photos_Chantier', reused: false }
 *   reportFolder('fin', 'Müller', 1774445412, 'Europe/Paris', ['20250101_muller'])
 *     → path 'Chantiers/20250101_muller/30_Photos_Chantier', reused: true
 */
export function reportFolder(
  kind: ReportKind,
  client: string,
  date: number,
  timeZone: string = DEFAULT_TIME_ZONE,
  existingFolders: readonly string[] = [],
): ReportFolderResult {
  const name = sanitizeName(client);
  const local = localDateTime(date, timeZone);
  const candidates = existingFolders.map(listedName).filter(isPlainSegment);
  const parent = CLIENT_FOLDERS_PARENT[kind];
  const build = (clientFolder: string | undefined, fresh: string): ReportFolderResult => {
    const trailing = kind === 'fin' ? [FIN_PHOTOS_FOLDER] : [];
    return { ...folder([...parent, clientFolder ?? fresh, ...trailing]), reused: clientFolder !== undefined };
  };
  switch (kind) {
    case 'fin':
      return build(pickFolder(candidates, name, /^(\d{8})_(.+)$/), `${compactDate(local)}_${name}`);
    case 'sav': {
      const day = isoDate(local);
      const sameDay = candidates.filter((candidate) => candidate.startsWith(`${day}_`));
      return build(pickFolder(sameDay, name, /^(\d{4}-\d{2}-\d{2})_(.+)$/), `${day}_${name}`);
    }
    case 'materiel':
      return build(pickFolder(candidates, name, /^()(.+)$/), name);
  }
}

/**
 * The existing folder of the client `name` among `candidates`, whose names split by `pattern`
 * into (date prefix, client). Most recent date first, then the exact spelling, then code-unit order.
 */
function pickFolder(candidates: readonly string[], name: string, pattern: RegExp): string | undefined {
  const matching = candidates.flatMap((candidate) => {
    const match = pattern.exec(candidate);
    if (match === null || !sameClient(match[2]!, name)) return [];
    return [{ candidate, date: match[1]!, exact: match[2] === name }];
  });
  matching.sort(
    (a, b) =>
      compareCodeUnits(b.date, a.date) ||
      Number(b.exact) - Number(a.exact) ||
      compareCodeUnits(a.candidate, b.candidate),
  );
  return matching[0]?.candidate;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A listed name as a segment: WebDAV listings may end collections with `/`, and test servers do
 * not normalise, so NFC it like every segment we build. */
function listedName(raw: string): string {
  return raw.replace(/\/+$/, '').normalize('NFC');
}

function isPlainSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\p{Cc}]/u.test(name);
}

export type PhotoExtension = 'jpg' | 'png' | 'heic' | 'webp';

/**
 * A photo's file name. `position` is its number in the folder (1, 2…: its order in the album by
 * `message_id` after what the folder already holds, see `photo-numbering.ts`); `date` is that
 * photo's message date in Unix seconds.
 *
 *   fin, sav  photo_NN_YYYYMMDD_HHMMSS.ext     photoFileName('fin', 1, 1774445412) → 'photo_01_20260325_143012.jpg'
 *   materiel  photo_YYYYMMDD_HHMMSS.ext for number 1, photo_YYYYMMDD_HHMMSS_NN.ext from 2 on:
 *             the business named a single photo without a number; the suffix makes the later
 *             ones unique even when they were taken in the same second.
 *
 * NN has at least two digits (`01`…`99`, then `100`).
 */
export function photoFileName(
  kind: ReportKind,
  position: number,
  date: number,
  timeZone: string = DEFAULT_TIME_ZONE,
  extension: PhotoExtension | VideoExtension = 'jpg',
  prefix: 'photo' | 'video' = 'photo',
): string {
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new RangeError(`photo position must be an integer from 1, got ${String(position)}`);
  }
  const local = localDateTime(date, timeZone);
  const stamp = `${compactDate(local)}_${compactTime(local)}`;
  const number = String(position).padStart(2, '0');
  if (kind === 'materiel') {
    return position === 1 ? `${prefix}_${stamp}.${extension}` : `${prefix}_${stamp}_${number}.${extension}`;
  }
  return `${prefix}_${number}_${stamp}.${extension}`;
}

/** Videos keep the container Telegram gives: MP4 (and video notes), or QuickTime from iPhones. */
export type VideoExtension = 'mp4' | 'mov' | 'webm';

export function videoExtension(mimeType: string | undefined, fileName: string | undefined): VideoExtension {
  const type = mimeType?.toLowerCase() ?? '';
  const suffix = /\.([^./\\]+)$/.exec(fileName ?? '')?.[1]?.toLowerCase();
  if (type === 'video/quicktime' || suffix === 'mov') return 'mov';
  if (type === 'video/webm' || suffix === 'webm') return 'webm';
  return 'mp4';
}

export interface PhotoTypeHints {
  /** The first bytes of the file (a dozen are enough): the most reliable hint. */
  readonly bytes?: Uint8Array;
  /** A declared MIME type, e.g. Telegram's `document.mime_type`. */
  readonly mimeType?: string;
  /** A file name or path, e.g. Telegram's `file_path` or `document.file_name`. */
  readonly fileName?: string;
}

const EXTENSION_BY_MIME_TYPE: Readonly<Record<string, PhotoExtension>> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/pjpeg': 'jpg',
  'image/png': 'png',
  'image/heic': 'heic',
  'image/heif': 'heic',
  'image/heic-sequence': 'heic',
  'image/heif-sequence': 'heic',
  'image/webp': 'webp',
};

const EXTENSION_BY_SUFFIX: Readonly<Record<string, PhotoExtension>> = {
  jpg: 'jpg',
  jpeg: 'jpg',
  jpe: 'jpg',
  png: 'png',
  heic: 'heic',
  heif: 'heic',
  webp: 'webp',
};

// ISO-BMFF brands of HEIF images as written by phones.
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'heif', 'mif1', 'msf1']);

/**
 * The extension of a photo from what we know of it: its bytes first, then the declared MIME
 * type, then the file name; `jpg` when none is recognised (Telegram re-encodes photos as JPEG).
 */
export function photoExtension(hints: PhotoTypeHints = {}): PhotoExtension {
  const fromBytes = hints.bytes === undefined ? undefined : sniffPhotoExtension(hints.bytes);
  const fromMimeType = EXTENSION_BY_MIME_TYPE[hints.mimeType?.split(';')[0]?.trim().toLowerCase() ?? ''];
  const fromSuffix =
    EXTENSION_BY_SUFFIX[/\.([^./\\]+)$/.exec(hints.fileName ?? '')?.[1]?.toLowerCase() ?? ''];
  return fromBytes ?? fromMimeType ?? fromSuffix ?? 'jpg';
}

/** The image type its first bytes show (JPEG, PNG, WebP, HEIC/HEIF), or undefined: not a picture we know. */
export function sniffPhotoExtension(bytes: Uint8Array): PhotoExtension | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 12))) return 'heic';
  return undefined;
}

/**
 * The name of the small Markdown report written next to a report's photos: its public id plus
 * `.md`, e.g. `SAV-0042` → `SAV-0042.md`. Ids are ours, so anything but letters, digits, `-` and
 * `_` is a programming error and throws.
 */
export function markdownReportFileName(reportId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(reportId)) {
    throw new RangeError(`report id must be letters, digits, '-' or '_', got ${JSON.stringify(reportId)}`);
  }
  return `${reportId}.md`;
}
