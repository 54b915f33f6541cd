import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { TelegramBot } from '../telegram/telegram-handlers.ts';

/**
 * The Nextcloud file operations a report needs (implemented by src/nextcloud/webdav-archive.ts).
 * The report's folder is created before its uploads run in parallel; an upload finding its
 * parent missing still creates it. 'identical': the name already holds these very bytes.
 */
export interface ArchivePort {
  listFolder(path: string): Promise<{ name: string; type: 'file' | 'directory'; size: number }[] | undefined>;
  ensureFolder(path: string): Promise<void>;
  uploadNew(path: string, body: Buffer): Promise<'created' | 'identical' | 'exists'>;
  writeTextNew(path: string, text: string): Promise<'created' | 'identical' | 'exists'>;
  folderLink(path: string): string;
}

/** The Deck card of a report, found again by its id before being created (idempotent). */
export interface CardPort {
  upsertCard(input: {
    stackTitle: string;
    marker: string;
    title: string;
    description: string;
    duedate?: string;
  }): Promise<{ cardId: number; link: string }>;
  /** Rewrites the description of the card carrying `marker` (see reviseReportCard). */
  reviseCard(input: {
    stackTitle: string;
    marker: string;
    revise: (description: string) => string;
  }): Promise<'revised' | 'unchanged' | 'missing'>;
  /** A comment under a card (Deck cuts comments at 1000 characters); returns its id. */
  addComment(cardId: number, message: string): Promise<number>;
  /** A comment of the card containing `marker` (an earlier attempt's), if any. */
  findComment(cardId: number, marker: string): Promise<number | undefined>;
}

export interface ReportDeps {
  readonly db: Db;
  readonly config: Pick<Config, 'reportTimezone' | 'bots'>;
  /** Undefined when Nextcloud is not configured: no archive, no card. */
  readonly archive: ArchivePort | undefined;
  readonly cards: CardPort | undefined;
  readonly telegram: ReadonlyMap<string, TelegramBot>;
  /** Nextcloud refuses the service's password (the credentials breaker is open): nothing reaches it. */
  readonly nextcloudOnHold?: () => Promise<boolean>;
  /** The SAV assistant runs: SAV reports also get diagnostic leads. */
  readonly assistant?: boolean;
}
