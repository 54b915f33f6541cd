/**
 * A report as a Deck card: its stack, title, Markdown description and due date. Pure: the time
 * zone, the dates and the folder link are passed in. The report id is the card's marker
 * (`upsertReportCard` finds the card again by it), so it is in the title and the description and
 * is never cut.
 */
import type { ReportKind } from '../conversation/state.ts';
import { REPORT_KIND_NAMES } from '../conversation/texts.ts';
import { localDateTime } from './report-paths.ts';

export interface ReportCardInput {
  /** `SAV-0042`: shown to everyone, and how the card is found again. */
  readonly publicId: string;
  readonly kind: ReportKind;
  readonly chantier: string;
  readonly technician: string;
  readonly createdAt: Date;
  /** Notes (fin), description (sav), or the raw list (materiel). */
  readonly text: string;
  /** The parsed `- item` list: becomes a checklist, replacing `text`, which it was read from. */
  readonly items: readonly string[];
  readonly photoCount: number;
  /** A URL to open the report's Nextcloud folder, when it has one. */
  readonly folderLink?: string | undefined;
  /** What could not be done (a file that is not a picture…): `⚠️` lines under the photos'. */
  readonly problems?: readonly string[];
  /** IANA name (REPORT_TIMEZONE, `Europe/Paris`): the date is shown as the office lives it. */
  readonly timeZone: string;
  /** SAV cards are due this long after the report was made. Default `DEFAULT_SAV_DUE_DELAY_MS`. */
  readonly savDueDelayMs?: number;
}

export interface ReportCard {
  readonly stackTitle: string;
  /** What `upsertReportCard` looks for: the report id. */
  readonly marker: string;
  readonly title: string;
  readonly description: string;
  /** ISO 8601 in UTC, SAV only. */
  readonly duedate?: string;
}

/** Deck refuses longer card titles (400); it counts code points (mb_strlen). */
export const CARD_TITLE_MAX_CHARACTERS = 255;
/** An after-sales call is answered the next day: the office may tune it per deployment. */
export const DEFAULT_SAV_DUE_DELAY_MS = 24 * 60 * 60 * 1000;

interface KindCard {
  readonly stackTitle: string;
  readonly emoji: string;
  /** Heading of the technician's text, and of the checklist when there are items. */
  readonly textHeading: string;
  readonly itemsHeading: string;
}

const KINDS: Readonly<Record<ReportKind, KindCard>> = {
  fin: {
    stackTitle: 'Fin de Chantier',
    emoji: '📸',
    textHeading: 'Notes',
    itemsHeading: 'Points',
  },
  sav: {
    stackTitle: 'SAV',
    emoji: '🚨',
    textHeading: 'Description',
    itemsHeading: 'Points',
  },
  materiel: {
    stackTitle: 'Matériel',
    emoji: '📦',
    textHeading: 'Détails',
    itemsHeading: 'Matériel à prévoir',
  },
};

/** The stack a report's card is made in (the office may move it since). */
export const cardStackTitle = (kind: ReportKind) => KINDS[kind].stackTitle;

export function reportCard(input: ReportCardInput): ReportCard {
  const duedate =
    input.kind === 'sav'
      ? new Date(input.createdAt.getTime() + (input.savDueDelayMs ?? DEFAULT_SAV_DUE_DELAY_MS)).toISOString()
      : undefined;
  return {
    stackTitle: KINDS[input.kind].stackTitle,
    marker: input.publicId,
    title: reportCardTitle(input),
    description: reportCardDescription(input),
    ...(duedate === undefined ? {} : { duedate }),
  };
}

const FALLBACK_CHANTIER = 'Chantier ?';
const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter('fr', { granularity: 'grapheme' });
const codePoints = (text: string) => Array.from(text).length;

/**
 * `🚨 Müller — Alerte SAV (SAV-0042)`, at most 255 code points: only the chantier is cut
 * (between graphemes, with `…`), so the report id always stays.
 */
export function reportCardTitle(input: Pick<ReportCardInput, 'kind' | 'chantier' | 'publicId'>): string {
  const kind = KINDS[input.kind];
  const chantier = oneLine(input.chantier) || FALLBACK_CHANTIER;
  const build = (name: string) =>
    `${kind.emoji} ${name} — ${REPORT_KIND_NAMES[input.kind]} (${oneLine(input.publicId)})`;
  const room = CARD_TITLE_MAX_CHARACTERS - codePoints(build(''));
  return build(cutToCodePoints(chantier, room));
}

/** `text` itself if it fits in `max` code points, else its longest grapheme prefix that fits with `…`. */
function cutToCodePoints(text: string, max: number): string {
  if (codePoints(text) <= max) return text;
  let kept = '';
  let length = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = codePoints(segment);
    if (length + size > max - 1) break;
    kept += segment;
    length += size;
  }
  return `${kept.trimEnd()}${ELLIPSIS}`;
}

/** Names and items on one line: a newline would break the title or the Markdown list. */
function oneLine(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * The card's Markdown:
 *
 *   **Rapport :** SAV-0042
 *   **Chantier :** Müller
 *   **Technicien :** Paul
 *   **Date :** 25/03/2026 à 15:30 (Europe/Paris)
 *
 *   ### Description            (or ### Matériel à prévoir + `- [ ] item` lines)
 *   Fuite au niveau de la PAC
 *
 *   📸 2 photos — [Ouvrir le dossier Nextcloud](https://…)
 *   ⚠️ « plan » n’est pas une image : non archivé.      (one line per problem, if any)
 */
export function reportCardDescription(input: ReportCardInput): string {
  const kind = KINDS[input.kind];
  const header = [
    `**Rapport :** ${oneLine(input.publicId)}`,
    `**Chantier :** ${oneLine(input.chantier) || FALLBACK_CHANTIER}`,
    `**Technicien :** ${oneLine(input.technician) || '?'}`,
    `**Date :** ${frenchDateTime(input.createdAt, input.timeZone)} (${input.timeZone})`,
  ].join('  \n');
  const items = input.items.map(oneLine).filter((item) => item !== '');
  const body =
    items.length > 0
      ? `### ${kind.itemsHeading}\n${items.map((item) => `- [ ] ${item}`).join('\n')}`
      : input.text.trim() === ''
        ? undefined
        : `### ${kind.textHeading}\n${input.text.trim()}`;
  const problems = (input.problems ?? []).map((line) => `⚠️ ${oneLine(line)}`);
  // Hard breaks ("  \n") as in the header: a Markdown paragraph joins lines otherwise.
  const photos = [photosLine(input.photoCount, input.folderLink), ...problems].join('  \n');
  return [header, body, photos].filter((part) => part !== undefined).join('\n\n');
}

/** `25/03/2026 à 15:30`, in `timeZone`. */
function frenchDateTime(date: Date, timeZone: string): string {
  const local = localDateTime(date.getTime() / 1000, timeZone);
  return `${local.day}/${local.month}/${local.year} à ${local.hour}:${local.minute}`;
}

const photoCountText = (count: number) =>
  count === 0 ? 'Aucune photo' : count === 1 ? '1 photo' : `${count} photos`;

/** The card's own photo count, at the start of its `📸` line. */
const PHOTO_COUNT = /^📸 (?:Aucune photo|\d+ photos?)/mu;

/**
 * The description with its photo count set to `count` (photos that joined the report after the
 * card was made): only that count changes, whatever else the office wrote in the description.
 * A description whose `📸` line the office removed gets it back at the end.
 */
export function withPhotoCount(description: string, count: number): string {
  const line = `📸 ${photoCountText(count)}`;
  if (PHOTO_COUNT.test(description)) return description.replace(PHOTO_COUNT, line);
  return description.trim() === '' ? line : `${description.trimEnd()}\n\n${line}`;
}

function photosLine(count: number, folderLink: string | undefined): string {
  const photos = photoCountText(count);
  if (folderLink === undefined || folderLink === '') return `📸 ${photos}`;
  return `📸 ${photos} — [Ouvrir le dossier Nextcloud](${markdownUrl(folderLink)})`;
}

/** Characters that would end a Markdown link destination early, percent-encoded. */
function markdownUrl(url: string): string {
  return url
    .replace(/\s/gu, (space) => encodeURIComponent(space))
    .replace(/[()<>]/gu, (bracket) => `%${bracket.charCodeAt(0).toString(16).toUpperCase()}`);
}
