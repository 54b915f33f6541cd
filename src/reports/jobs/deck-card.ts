import { reportCard } from '../../nextcloud/report-card.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { factsOf } from '../report-facts.ts';
import { getReport, reportMedia } from '../report-store.ts';

/** `report.deck-card`: one card per report, found again by its id before being created. */
export function deckCardHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.deck-card'>> {
  return async (payload, { now }) => {
    const { reportId } = payload;
    const report = await getReport(deps.db, reportId);
    if (!report || !deps.cards || report.deck_card_id !== null) return;
    const facts = factsOf(report, reportMedia(report).length);
    const card = await deps.cards.upsertCard(
      reportCard({
        ...facts,
        createdAt: new Date(report.created_at),
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
