import type { Db } from '../db/database.ts';

/** Records a short French line about something of the report that could not be done. */
export async function addReportProblem(db: Db, reportId: number, problem: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('reports')
      .select('problems')
      .where('id', '=', reportId)
      .executeTakeFirst();
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
