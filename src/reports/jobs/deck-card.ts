import { withClusterLock } from '../../db/cluster-lock.ts';
import { reportCard } from '../../nextcloud/report-card.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { factsOf, reportDate } from '../report-facts.ts';
import { getReport, reportMedia } from '../report-store.ts';

/** `report.deck-card`: one card per report, found again by its id before being created. */
export function deckCardHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.deck-card'>> {
  return async (payload, { now }) => {
    const { reportId } = payload;
    const report = await getReport(deps.db, reportId);
    if (!report || !deps.cards || report.deck_card_id !== null) return;
    const facts = factsOf(report, reportMedia(report).length);
    const input = reportCard({
      ...facts,
      createdAt: reportDate(report),
      folderLink: report.folder && deps.archive ? deps.archive.folderLink(report.folder) : undefined,
      timeZone: deps.config.reportTimezone,
    });
    // The board and its stacks are found or created by title, and each replica caches their ids in
    // memory: one replica at a time, so that two never both create "ETM Chantiers".
    const cards = deps.cards;
    const card = await withClusterLock(deps.db, 'deck.board', () => cards.upsertCard(input));
    await deps.db
      .updateTable('reports')
      .set({ deck_card_id: card.cardId, deck_card_url: card.link, updated_at: now.getTime() })
      .where('id', '=', reportId)
      .execute();
  };
}
