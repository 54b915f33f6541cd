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

/** An album still receiving items: it closes after a quiet period or at 10 items. */
export interface OpenAlbum {
  readonly mediaGroupId: string;
  /** Unix ms of the last item received. */
  readonly lastItemAt: number;
  readonly count: number;
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
  /** Messages whose buttons were already handled: a second tap must not prompt twice. */
  readonly handledButtonMessages: readonly number[];
  /** Albums already told (in one line) that some of their files are not kept. */
  readonly albumsWithRefusal: readonly string[];
}

export const INITIAL_STATE: ConversationState = {
  draft: undefined,
  setAside: undefined,
  closedAlbums: [],
  handledButtonMessages: [],
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
  };
}
