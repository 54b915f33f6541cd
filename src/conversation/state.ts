/**
 * A technician's conversation, persisted per (slug, chat, user) as JSON. Everything the
 * technician sent for a report that is not finished yet lives in the draft: nothing is dropped
 * until the report is created or the technician cancels.
 */

export type ReportKind = 'fin' | 'sav' | 'materiel';

export const REPORT_KINDS: readonly ReportKind[] = ['fin', 'sav', 'materiel'];

/** A photo, image document or video kept for a report, with what the archive needs to name it. */
export interface DraftMedia {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly messageId: number;
  /** Unix seconds: when it was taken (a forwarded photo's original date), as Telegram knows it. */
  readonly date: number;
  readonly source: 'photo' | 'document' | 'video';
  readonly mimeType: string | undefined;
  readonly fileName: string | undefined;
  readonly fileSize: number | undefined;
  readonly mediaGroupId: string | undefined;
}

/**
 * An album still receiving items: it closes after a quiet period, longer for an album whose items
 * come slowly (bad 4G), never at once at 10 items (a phone sends 15 photos as 10 + 5).
 */
export interface OpenAlbum {
  readonly mediaGroupId: string;
  /** Unix ms of the last item received. */
  readonly lastItemAt: number;
  readonly count: number;
  /** The longest silence between two of its items so far (ms). */
  readonly longestGapMs: number;
}

/** A caption that came on an album item: applied once the draft's albums are all in. */
export interface AlbumCaption {
  readonly mediaGroupId: string;
  readonly text: string;
}

/** What the next plain text answers, when we asked a precise question. */
export type Awaiting = 'chantier' | undefined;

export interface Technician {
  readonly userId: number;
  readonly name: string;
}

export interface Draft {
  readonly chatId: number;
  readonly technician: Technician;
  /** Undefined while the technician has not said which report it is. */
  readonly kind: ReportKind | undefined;
  readonly chantier: string | undefined;
  /** Notes (fin), description (sav), the list as typed (materiel). */
  readonly text: string | undefined;
  readonly media: readonly DraftMedia[];
  readonly openAlbums: readonly OpenAlbum[];
  readonly awaiting: Awaiting;
  /** Unix ms. */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** We already asked which report these photos are for: do not ask at every album item. */
  readonly askedKind: boolean;
  /** A chantier answered but not known yet: it waits for the technician's confirmation. */
  readonly proposedChantier?: string;
  /** The chantiers offered as buttons (src/conversation/chantier-choice.ts) under the last confirmation asked. */
  readonly chantierChoices?: readonly string[];
  /** Texts and captions sent before the report was chosen: shown back when they are attached. */
  readonly inputs: readonly string[];
  /** Captions of album items, kept apart until every album is in (two albums, two chantiers?). */
  readonly albumCaptions: readonly AlbumCaption[];
}

/** An album whose report was created: a late item joins that report. */
export interface ClosedAlbum {
  readonly mediaGroupId: string;
  readonly reportKey: string;
  /** Unix ms. */
  readonly closedAt: number;
}

export interface ConversationState {
  readonly draft: Draft | undefined;
  /** A draft left untouched past the time-out: kept until the technician resumes or drops it. */
  readonly setAside: Draft | undefined;
  readonly closedAlbums: readonly ClosedAlbum[];
  /**
   * Reports the technician started together but that are not the current one (a second album
   * for another chantier, a material list typed with a Fin report): taken up one after the other.
   */
  readonly queued: readonly Draft[];
  /** Albums already told (in one line) that some of their files are not kept. */
  readonly albumsWithRefusal: readonly string[];
}

export const INITIAL_STATE: ConversationState = {
  draft: undefined,
  setAside: undefined,
  closedAlbums: [],
  queued: [],
  albumsWithRefusal: [],
};

export function emptyDraft(now: number, chatId: number, technician: Technician): Draft {
  return {
    chatId,
    technician,
    kind: undefined,
    chantier: undefined,
    text: undefined,
    media: [],
    openAlbums: [],
    awaiting: undefined,
    startedAt: now,
    updatedAt: now,
    askedKind: false,
    inputs: [],
    albumCaptions: [],
  };
}

/** A state saved by an earlier version, completed with the fields it did not have yet. */
export function upgradeState(saved: Partial<ConversationState>): ConversationState {
  const draft = (d: Partial<Draft> | undefined): Draft | undefined =>
    d && {
      ...({ inputs: [], albumCaptions: [], ...d } as Draft),
      // Saved before albums measured their gaps: as if their items came together.
      openAlbums: (d.openAlbums ?? []).map((album) => ({ ...{ longestGapMs: 0 }, ...album })),
    };
  return {
    ...INITIAL_STATE,
    ...saved,
    draft: draft(saved.draft),
    setAside: draft(saved.setAside),
    queued: (saved.queued ?? []).map((d) => draft(d)!),
  };
}
