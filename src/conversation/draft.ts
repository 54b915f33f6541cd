import { canonicalChantier, similarChantiers } from './chantier-match.ts';
import { parseReportText } from './parser.ts';
import type { Draft, DraftMedia } from './state.ts';
import { texts } from './texts.ts';

/** Pure updates of a draft from what the technician sends, and what it still lacks. */

/**
 * Adds a text (message or caption) to the draft: `Chantier / texte`, or the answer we asked for.
 * A chantier typed as `Chantier / texte` is the technician's word; a bare answer is taken only
 * if it names a known chantier, otherwise it is proposed and waits for his confirmation (a line
 * such as `cuivre 28mm et 2 coudes` is not a chantier). Known names give the one spelling used
 * for the folder, the card and the group message.
 */
export function addText(draft: Draft, input: string, now: number, known: readonly string[] = []): Draft {
  const parsed = parseReportText(input);
  if (draft.awaiting === 'chantier' && parsed.chantier === undefined && parsed.items.length === 0) {
    const answer = parsed.text.split('\n')[0]!.trim();
    if (answer !== '') {
      const canonical = canonicalChantier(answer, known);
      if (canonical) return confirmChantier(draft, canonical, now);
      return { ...draft, proposedChantier: answer, updatedAt: now };
    }
  }
  const typed = parsed.chantier && (canonicalChantier(parsed.chantier, known) ?? parsed.chantier);
  return {
    ...draft,
    chantier: typed ?? draft.chantier,
    text: joinText(draft.text, parsed.text),
    awaiting: typed ? undefined : draft.awaiting,
    proposedChantier: typed ? undefined : draft.proposedChantier,
    updatedAt: now,
  };
}

/** The chantier is settled: typed, known, or confirmed by a tap. */
export function confirmChantier(draft: Draft, chantier: string, now: number): Draft {
  return {
    ...draft,
    chantier,
    awaiting: undefined,
    proposedChantier: undefined,
    chantierChoices: undefined,
    updatedAt: now,
  };
}

function joinText(previous: string | undefined, added: string): string | undefined {
  if (added === '') return previous;
  return previous ? `${previous}\n${added}` : added;
}

/** Adds a photo, once: Telegram may deliver the same message twice. */
export function addMedia(draft: Draft, media: DraftMedia, now: number): Draft {
  if (draft.media.some((m) => m.messageId === media.messageId)) return draft;
  return { ...draft, media: [...draft.media, media], updatedAt: now };
}

/** The material list: the typed items, or the whole text as one item when it is not a list. */
export function materialItems(text: string | undefined): string[] {
  if (!text) return [];
  const { items } = parseReportText(text);
  return items.length > 0 ? items : [text.replace(/\s+/g, ' ').trim()];
}

export interface Missing {
  readonly prompt: string;
  /** Buttons that answer it: the chantiers to choose from, by their place (src/conversation/chantier-choice.ts). */
  readonly choices?: readonly string[];
  /** Whether the next plain text is the answer (the chantier) rather than a new `Chantier / texte`. */
  readonly awaitsChantier: boolean;
}

/** What the draft still lacks to become its report, or undefined when it is complete. */
export function missingPiece(draft: Draft, known: readonly string[] = []): Missing | undefined {
  const missing = missingBeforeConfirmation(draft);
  const proposed = draft.proposedChantier;
  if (!missing?.awaitsChantier || proposed === undefined) return missing;
  // Similar known chantiers first, then the new name itself, last.
  const choices = [...similarChantiers(proposed, known), proposed];
  return { prompt: texts.confirmChantier(proposed), choices, awaitsChantier: true };
}

function missingBeforeConfirmation(draft: Draft): Missing | undefined {
  switch (draft.kind) {
    case undefined:
      return undefined;
    case 'fin':
      if (draft.media.length === 0) return { prompt: texts.missing.photo, awaitsChantier: false };
      return draft.chantier ? undefined : { prompt: texts.missing.finChantier, awaitsChantier: true };
    case 'sav':
      if (!draft.text) return { prompt: texts.missing.savDescription, awaitsChantier: false };
      return draft.chantier ? undefined : { prompt: texts.missing.savChantier, awaitsChantier: true };
    case 'materiel':
      if (!draft.text) return { prompt: texts.missing.materielItems, awaitsChantier: false };
      return draft.chantier ? undefined : { prompt: texts.missing.materielChantier, awaitsChantier: true };
  }
}

/**
 * A draft with what was sent after it: photos once each, texts in order, the later chantier
 * winning (the technician's latest word), albums still open kept open.
 */
export function mergeDrafts(base: Draft, added: Draft): Draft {
  const media = added.media.reduce((d, m) => addMedia(d, m, added.updatedAt), base).media;
  return {
    ...base,
    kind: base.kind ?? added.kind,
    chantier: added.chantier ?? base.chantier,
    text: joinText(base.text, added.text ?? ''),
    media,
    openAlbums: [...base.openAlbums, ...added.openAlbums],
    albumCaptions: [...base.albumCaptions, ...added.albumCaptions],
    inputs: [...base.inputs, ...added.inputs],
    awaiting: undefined,
    updatedAt: Math.max(base.updatedAt, added.updatedAt),
  };
}

/** True when the draft holds nothing the technician sent. */
export function isBlank(draft: Draft): boolean {
  return draft.media.length === 0 && !draft.text && !draft.chantier;
}
