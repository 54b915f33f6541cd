import type { NextcloudFiles } from '../assistant/knowledge-source.ts';
import type { Config } from '../config.ts';
import { createDeckClient, upsertReportCard } from '../nextcloud/deck-client.ts';
import { createNextcloudArchive } from '../nextcloud/webdav-archive.ts';
import type { ArchivePort, CardPort } from './report-deps.ts';

export interface NextcloudPorts {
  readonly archive: ArchivePort | undefined;
  readonly cards: CardPort | undefined;
  /** Read access for the assistant's known fixes, kept in Nextcloud. */
  readonly files: NextcloudFiles | undefined;
  close(): Promise<void>;
}

/** The WebDAV archive and Deck cards of the configured Nextcloud, or none when it is not configured. */
export function nextcloudPorts(config: Pick<Config, 'nextcloud' | 'deckBoard'>): NextcloudPorts {
  const nextcloud = config.nextcloud;
  if (!nextcloud)
    return { archive: undefined, cards: undefined, files: undefined, close: async () => undefined };
  const archive = createNextcloudArchive(nextcloud);
  const deck = createDeckClient({ ...nextcloud, url: nextcloud.deckUrl });
  const cards: CardPort = {
    async upsertCard(card) {
      const result = await upsertReportCard(deck, { boardTitle: config.deckBoard, ...card });
      return { cardId: result.cardId, link: deck.cardLink(result.boardId, result.cardId) };
    },
    addComment: (cardId, message) => deck.addComment(cardId, message),
    findComment: (cardId, marker) => deck.findComment(cardId, marker),
  };
  return {
    archive,
    cards,
    files: archive,
    async close() {
      await archive.close();
      await deck.close();
    },
  };
}
