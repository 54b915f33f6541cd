import type { Transaction } from 'kysely';
import type { ReportKind } from '../conversation/state.ts';
import { lockForTransaction, withClusterLock } from '../db/cluster-lock.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { ArchivePlan } from './archive-plan.ts';

/**
 * The names of a report folder are chosen in one place, so that no two photos of it get the same
 * number: a photo planned by one report is not in the folder until its upload ran, which may be
 * after another report listed the folder (uploads run after the plans, at a lower priority).
 */

/**
 * The names taken in `folder`: `listed` (its listing, read before the caller's transaction, as
 * no transaction waits on the network) and the names every report planned there, uploaded or
 * not, except files refused for good. Takes the folder's lock until the transaction ends, so
 * the caller records the names it chooses before another replica reads them (on SQLite one
 * transaction runs at a time). Linear in the names: one read of the plans of the folder (a scan
 * of `reports`, whose `folder` has no index).
 */
export async function takenNamesIn(
  trx: Transaction<Database>,
  folder: string,
  listed: readonly string[],
): Promise<string[]> {
  await lockForTransaction(trx, `report.folder:${folder}`);
  const rows = await trx.selectFrom('reports').select('archive_plan').where('folder', '=', folder).execute();
  const planned = rows.flatMap((row) => {
    const plan = row.archive_plan ? (JSON.parse(row.archive_plan) as ArchivePlan) : undefined;
    return (plan?.files ?? []).filter((file) => !file.refused).map((file) => file.name);
  });
  return [...listed, ...planned];
}

/** Chains of work under each name, per database handle (a process may open several in tests). */
const chains = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Runs `work` while no other job, of this process or of another replica, chooses the client
 * folder of a report of this kind: the parent folder is listed, a folder chosen and made, before
 * the next one lists it, so two reports of a new client do not each make a dated folder. Across
 * replicas: withClusterLock (src/db/cluster-lock.ts); within this process, whose worker runs
 * several jobs at once (WORKER_CONCURRENCY), on SQLite too: one after the other.
 */
export async function choosingFolder<R>(db: Db, kind: ReportKind, work: () => Promise<R>): Promise<R> {
  const name = `report.folders:${kind}`;
  let byName = chains.get(db);
  if (!byName) {
    byName = new Map<string, Promise<unknown>>();
    chains.set(db, byName);
  }
  const previous = byName.get(name) ?? Promise.resolve();
  const run = previous.then(() => withClusterLock(db, name, work));
  const settled = run.catch(() => undefined);
  byName.set(name, settled);
  try {
    return await run;
  } finally {
    if (byName.get(name) === settled) byName.delete(name);
  }
}
