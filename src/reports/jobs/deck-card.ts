import { withClusterLock } from '../../db/cluster-lock.ts';
import { reportCard } from '../../nextcloud/report-card.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { factsOf, filedPhotoCount, problemsOf, reportDate } from '../report-facts.ts';
import { archiveOnHold } from '../report-messages.ts';
import { getReport } from '../report-store.ts';
import { failures } from './notify-report.ts';

/**
 * `report.deck-card`: one card per report, found again by its id before being created. It runs
 * once the report's uploads have ended (it waits for them, src/reports/jobs/plan-report.ts), and
 * says what the group message says: the photos filed, and a ⚠️ line for each one that was not.
 */
export function deckCardHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.deck-card'>> {
  return async (payload, ctx) => {
    const { reportId } = payload;
    const report = await getReport(deps.db, reportId);
    if (!report || !deps.cards || report.deck_card_id !== null) return;
    const dead = (await ctx.dependencies()).filter((job) => job.state === 'dead');
    // Not the on-hold line of a report announced while Nextcloud refused our password: the card
    // is made once it takes it again.
    const problems = [...problemsOf(report).filter((line) => line !== archiveOnHold), ...failures(dead)];
    const input = reportCard({
      ...factsOf(report, filedPhotoCount(report)),
      createdAt: reportDate(report),
      folderLink: report.folder && deps.archive ? deps.archive.folderLink(report.folder) : undefined,
      timeZone: deps.config.reportTimezone,
      problems,
    });
    // The board and its stacks are found or created by title, and each replica caches their ids in
    // memory: one replica at a time, so that two never both create "ETM Chantiers".
    const cards = deps.cards;
    const card = await withClusterLock(deps.db, 'deck.board', () => cards.upsertCard(input));
    await deps.db
      .updateTable('reports')
      .set({ deck_card_id: card.cardId, deck_card_url: card.link, updated_at: ctx.now.getTime() })
      .where('id', '=', reportId)
      .execute();
  };
}
