import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { archivePlanOf, factsOf, filedPhotoCount, reportDate } from '../report-facts.ts';
import { markdownReport } from '../report-messages.ts';
import { getReport } from '../report-store.ts';

/**
 * `report.write-markdown`: the SAV / material report as a small Markdown file beside its photos,
 * once they were uploaded (it waits for them, src/reports/jobs/plan-report.ts): it counts those
 * filed, as the office's message does.
 */
export function writeMarkdownHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.write-markdown'>> {
  return async (payload) => {
    const { reportId } = payload;
    const report = await getReport(deps.db, reportId);
    const plan = report && archivePlanOf(report);
    if (!report || !plan?.markdown || !deps.archive) return;
    const facts = factsOf(report, filedPhotoCount(report));
    // 'exists' is our own earlier attempt: the file is never overwritten.
    await deps.archive.writeTextNew(
      `${plan.folder}/${plan.markdown}`,
      markdownReport(facts, reportDate(report), deps.config.reportTimezone),
    );
  };
}
