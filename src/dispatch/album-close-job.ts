import { albumCloseDelay } from '../conversation/album-timing.ts';
import { conversationJobs } from '../conversation/conversation-jobs.ts';
import type { ConversationSettings } from '../conversation/settings.ts';
import type { Db } from '../db/database.ts';
import { defineHandlers, type HandlerSet } from '../queue/job-handler.ts';
import { PostponeError } from '../queue/postpone.ts';
import { applyEvent } from './apply-event.ts';
import { loadConversation } from './conversation-store.ts';
import { deliverSays } from './deliver-says.ts';

export interface ConversationHandlerDeps {
  readonly db: Db;
  readonly settings: ConversationSettings;
  /** Whether this slug can call the Bot API (has a token). */
  readonly hasBotApi: (slug: string) => boolean;
  /** Told the size of each album that closed (metrics), after its transaction committed. */
  readonly onAlbumClosed?: (items: number) => void;
}

/**
 * Jobs that move a conversation on without a new update: an album closing. A durable job, not a
 * timer in one process: whichever replica claims it closes the album, through the same versioned
 * conversation row the updates use.
 */
export function conversationHandlers(deps: ConversationHandlerDeps): HandlerSet {
  return defineHandlers(conversationJobs, {
    'conversation.album-close': async ({ slug, chatId, userId, mediaGroupId }, { now }) => {
      const conversation = { slug, chatId, userId };
      const closedItems = await deps.db.transaction().execute(async (trx) => {
        const stored = await loadConversation(trx, conversation);
        const delay = albumCloseDelay(stored.state, mediaGroupId, now.getTime(), deps.settings);
        if (delay === undefined) return;
        // Another photo of the album came in since this job was scheduled: wait for silence.
        if (delay > 0) throw new PostponeError(delay, 'album still receiving photos');
        // Keyed by the album's last item too: an album reopened in a later draft speaks again.
        const album = stored.state.draft?.openAlbums.find((a) => a.mediaGroupId === mediaGroupId);
        const sourceKey = `album:${mediaGroupId}:${album?.lastItemAt ?? 0}`;
        const ctx = { slug, now, settings: deps.settings };
        const mode = { botApi: deps.hasBotApi(slug), syncReply: false };
        await applyEvent(
          trx,
          conversation,
          { kind: 'album-closed', mediaGroupId },
          sourceKey,
          ctx,
          undefined,
          async (outcome) => {
            await deliverSays(trx, conversation, outcome.say, sourceKey, mode, now);
          },
        );
        return album?.count;
      });
      if (closedItems !== undefined) deps.onAlbumClosed?.(closedItems);
    },
  });
}
