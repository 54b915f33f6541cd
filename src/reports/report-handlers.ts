import { defineHandlers, type HandlerSet } from '../queue/job-handler.ts';
import { addMediaHandler } from './jobs/add-media.ts';
import { archivePhotoHandler } from './jobs/archive-photo.ts';
import { deckCardHandler } from './jobs/deck-card.ts';
import { confirmReportHandler } from './jobs/confirm-report.ts';
import { delayNoticeHandler } from './jobs/delay-notice.ts';
import { latePhotosHandler } from './jobs/late-photos.ts';
import { announceOnHoldHandler, notifyReportHandler } from './jobs/notify-report.ts';
import { refreshChantiersHandler } from './jobs/refresh-chantiers.ts';
import { planReportHandler } from './jobs/plan-report.ts';
import { writeMarkdownHandler } from './jobs/write-markdown.ts';
import type { ReportDeps } from './report-deps.ts';
import { reportJobs } from './report-jobs.ts';

/** Handlers of a report's background work, from its plan to the technician's confirmation. */
export function reportHandlers(deps: ReportDeps): HandlerSet {
  return defineHandlers(reportJobs, {
    'report.process': planReportHandler(deps),
    'report.archive-photo': archivePhotoHandler(deps),
    'report.write-markdown': writeMarkdownHandler(deps),
    'report.deck-card': deckCardHandler(deps),
    'report.notify': notifyReportHandler(deps),
    'report.announce-on-hold': announceOnHoldHandler(deps),
    'report.confirm': confirmReportHandler(deps),
    // A milestone: its dependencies are the whole point (report-jobs.ts).
    'report.confirmed': async () => {},
    'report.delay-notice': delayNoticeHandler(deps),
    'report.add-media': addMediaHandler(deps),
    'report.late-photos': latePhotosHandler(deps),
    'report.refresh-chantiers': refreshChantiersHandler(deps),
  });
}
