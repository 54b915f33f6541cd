import { albumCloseDelay } from '../../conversation/album-timing.ts';
import type { ConversationSettings } from '../../conversation/settings.ts';
import { texts } from '../../conversation/texts.ts';
import type { Db } from '../../db/database.ts';
import { applyEvent } from '../../dispatch/apply-event.ts';
import { loadConversation } from '../../dispatch/conversation-store.ts';
import { deliverSays } from '../../dispatch/deliver-says.ts';
import { enqueue } from '../enqueue.ts';
import type { JobPayload } from '../job-catalog.ts';
import { PostponeError } from '../postpone.ts';
import type { JobHandler } from '../worker.ts';
import { getReport } from '../../reports/report-store.ts';

export interface ConversationHandlerDeps {
  readonly db: Db;
  readonly settings: ConversationSettings;
  /** Whether this slug can call the Bot API (has a token). */
  readonly hasBotApi: (slug: string) => boolean;
}

/** Jobs that move a conversation on without a new update: an album closing. */
export function conversationHandlers(deps: ConversationHandlerDeps): Record<string, JobHandler> {
  return {
    'conversation.album-close': async (payload, { now }) => {
      const { slug, chatId, userId, mediaGroupId } = payload as JobPayload<'conversation.album-close'>;
      const conversation = { slug, chatId, userId };
      await deps.db.transaction().execute(async (trx) => {
        const stored = await loadConversation(trx, conversation);
        const delay = albumCloseDelay(stored.state, mediaGroupId, now.getTime(), deps.settings);
        if (delay === undefined) return;
        // Another photo of the album came in since this job was scheduled: wait for silence.
        if (delay > 0) throw new PostponeError(delay, 'album still receiving photos');
        const sourceKey = `album:${mediaGroupId}`;
        const ctx = { slug, now, settings: deps.settings };
        const outcome = await applyEvent(
          trx,
          conversation,
          { kind: 'album-closed', mediaGroupId },
          sourceKey,
          ctx,
        );
        await deliverSays(
          trx,
          conversation,
          outcome.say,
          sourceKey,
          { botApi: deps.hasBotApi(slug), syncReply: false },
          now,
        );
      });
    },
    'report.process': async (payload, { now }) => {
      const { reportId } = payload as JobPayload<'report.process'>;
      const report = await getReport(deps.db, reportId);
      if (!report) return;
      await deps.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('reports')
          .set({ status: 'done', confirmed_at: now.getTime(), updated_at: now.getTime() })
          .where('id', '=', reportId)
          .execute();
        if (!deps.hasBotApi(report.slug)) return;
        await enqueue(
          trx,
          {
            type: 'telegram.send-message',
            idempotencyKey: `report:${reportId}:confirmation`,
            payload: {
              slug: report.slug,
              chatId: report.chat_id,
              text: texts.reportCreated(report.public_id, report.kind as 'fin', report.chantier),
            },
          },
          now,
        );
      });
    },
  };
}
