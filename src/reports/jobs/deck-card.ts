import { reportCard } from '../../nextcloud/report-card.ts';
import type { JobPayload } from '../../queue/job-catalog.ts';
import type { JobHandler } from '../../queue/worker.ts';
import type { ReportDeps } from '../report-deps.ts';
import { factsOf, reportDate } from '../report-facts.ts';
import { getReport, reportMedia } from '../report-store.ts';

/** `report.deck-card`: one card per report, found again by its id before being created. */
export function deckCardHandler(deps: ReportDeps): JobHandler {
  return async (payload, { now }) => {
    const { reportId } = payload as JobPayload<'report.deck-card'>;
    const report = await getReport(deps.db, reportId);
    if (!report || !deps.cards || report.deck_card_id !== null) return;
    const facts = factsOf(report, reportMedia(report).length);
    const card = await deps.cards.upsertCard(
      reportCard({
        ...facts,
        createdAt: reportDate(report),
        folderLink: report.folder && deps.archive ? deps.archive.folderLink(report.folder) : undefined,
        timeZone: deps.config.reportTimezone,
      }),
    );
    await deps.db
      .updateTable('reports')
      .set({ deck_card_id: card.cardId, deck_card_url: card.link, updated_at: now.getTime() })
      .where('id', '=', reportId)
      .execute();
  };
}
