import { chantierOfFolder, rememberChantiers } from '../../dispatch/known-chantiers.ts';
import { REPORT_KINDS } from '../../conversation/state.ts';
import { withClusterLock } from '../../db/cluster-lock.ts';
import type { Db } from '../../db/database.ts';
import { clientFoldersParent } from '../../nextcloud/report-paths.ts';
import { enqueue } from '../../queue/enqueue.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import type { ReportDeps } from '../report-deps.ts';
import { type ReportPayload, reportJobs } from '../report-jobs.ts';

const HOUR_MS = 60 * 60_000;

/**
 * `report.refresh-chantiers`: lists the client folders of every kind of report in Nextcloud and
 * remembers their chantiers, so that the conversation (which never calls the network) offers a
 * folder the office made by hand without waiting for the next report of that kind to list it.
 */
export function refreshChantiersHandler(
  deps: ReportDeps,
): JobHandler<ReportPayload<'report.refresh-chantiers'>> {
  return async (_payload, { now }) => {
    const archive = deps.archive;
    if (!archive) return;
    // One replica at a time, as the assistant's sync: the same listing twice at once is waste.
    await withClusterLock(deps.db, 'report.refresh-chantiers', async () => {
      for (const kind of REPORT_KINDS) {
        const entries = (await archive.listFolder(clientFoldersParent(kind).path)) ?? [];
        const folders = entries.filter((entry) => entry.type === 'directory');
        await rememberChantiers(
          deps.db,
          folders.map((entry) => chantierOfFolder(entry.name)),
          now,
        );
      }
    });
  };
}

/**
 * Queues the refresh of this hour (run at start, then hourly by the worker's housekeeping): keyed
 * by the hour, so that the replicas that all ask for it queue it once.
 */
export async function enqueueChantierRefresh(db: Db, now: Date): Promise<void> {
  const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS).toISOString();
  await enqueue(
    db,
    reportJobs['report.refresh-chantiers'],
    { idempotencyKey: `report.refresh-chantiers:${hour}`, payload: {} },
    now,
  );
}
