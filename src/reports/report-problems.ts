import type { Db } from '../db/database.ts';
import { isPostgres } from '../db/dialect.ts';

/**
 * Records a short French line about something of the report that could not be done. The archive
 * jobs of one report run in parallel, in several workers: on PostgreSQL the row is locked before
 * it is read, as in changeArchivePlan (src/reports/report-store.ts), or two lines written at the
 * same moment would both start from the same list and the second would drop the first (READ
 * COMMITTED, https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED). SQLite
 * runs one transaction at a time.
 */
export async function addReportProblem(db: Db, reportId: number, problem: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('reports').select('problems').where('id', '=', reportId);
    if (isPostgres(trx)) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return;
    const problems = JSON.parse(row.problems) as string[];
    if (problems.includes(problem)) return;
    await trx
      .updateTable('reports')
      .set({ problems: JSON.stringify([...problems, problem]), updated_at: now.getTime() })
      .where('id', '=', reportId)
      .execute();
  });
}
