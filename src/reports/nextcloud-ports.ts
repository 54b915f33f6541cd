import type { NextcloudFiles } from '../assistant/knowledge-source.ts';
import type { Config } from '../config.ts';
import { createDeckClient, reviseReportCard, upsertReportCard } from '../nextcloud/deck-client.ts';
import { createNextcloudArchive } from '../nextcloud/webdav-archive.ts';
import type { ArchivePort, CardPort } from './report-deps.ts';

export interface NextcloudPorts {
  readonly archive: ArchivePort | undefined;
  readonly cards: CardPort | undefined;
  /** Read access for the assistant's known fixes, kept in Nextcloud. */
  readonly files: NextcloudFiles | undefined;
  close(): Promise<void>;
}

/** Runs one Nextcloud call: the credentials breaker (src/nextcloud/credentials-breaker.ts). */
export type NextcloudGuard = <T>(call: () => Promise<T>) => Promise<T>;

/**
 * The WebDAV archive and Deck cards of the configured Nextcloud, or none when it is not
 * configured. Every call goes through `guard`, so one refused password stops them all.
 */
export function nextcloudPorts(
  config: Pick<Config, 'nextcloud' | 'deckBoard' | 'deckShareGroup'>,
  guard: NextcloudGuard = async (call) => call(),
): NextcloudPorts {
  const nextcloud = config.nextcloud;
  if (!nextcloud)
    return { archive: undefined, cards: undefined, files: undefined, close: async () => undefined };
  const webdav = createNextcloudArchive(nextcloud);
  const deck = createDeckClient({ ...nextcloud, url: nextcloud.deckUrl });
  const archive: ArchivePort & NextcloudFiles = {
    listFolder: async (path) => guard(async () => webdav.listFolder(path)),
    ensureFolder: async (path) => guard(async () => webdav.ensureFolder(path)),
    uploadNew: async (path, body) => guard(async () => webdav.uploadNew(path, body)),
    writeTextNew: async (path, text) => guard(async () => webdav.writeTextNew(path, text)),
    readText: async (path) => guard(async () => webdav.readText(path)),
    folderLink: (path) => webdav.folderLink(path),
  };
  const cards: CardPort = {
    upsertCard: async (card) =>
      guard(async () => {
        const result = await upsertReportCard(deck, {
          boardTitle: config.deckBoard,
          shareGroup: config.deckShareGroup,
          ...card,
        });
        return { cardId: result.cardId, link: deck.cardLink(result.boardId, result.cardId) };
      }),
    reviseCard: async (card) =>
      guard(async () =>
        reviseReportCard(deck, { boardTitle: config.deckBoard, shareGroup: config.deckShareGroup, ...card }),
      ),
    addComment: async (cardId, message) => guard(async () => deck.addComment(cardId, message)),
    findComment: async (cardId, marker) => guard(async () => deck.findComment(cardId, marker)),
  };
  return {
    archive,
    cards,
    files: archive,
    async close() {
      await webdav.close();
      await deck.close();
    },
  };
}
