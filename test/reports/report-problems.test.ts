import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { problemsOf } from '../../src/reports/report-facts.ts';
import { addReportProblem } from '../../src/reports/report-problems.ts';
import { getReport, type ReportRow } from '../../src/reports/report-store.ts';
import { seedReport } from '../support/admin.ts';
import { databaseEachTest } from '../support/database.ts';
import { testDialect } from '../support/test-database.ts';

const t = databaseEachTest();

const newReport = () =>
  seedReport(t.db, { kind: 'fin', chantier: 'Müller', photos: 8, at: '2026-03-25T14:30:00Z' });
const problemsOfReport = async (report: ReportRow) => problemsOf((await getReport(t.db, report.id))!);
const notArchived = (index: number) => `photo_0${index + 1}.jpg non archivée : ce n’est pas une image`;

describe('addReportProblem', () => {
  it('keeps every line when the archive jobs of one report write theirs at the same moment', async () => {
    const report = await newReport();
    const lines = Array.from({ length: 8 }, (_, index) => notArchived(index));
    // On PostgreSQL each transaction has its own connection: they really overlap.
    await Promise.all(lines.map((line) => addReportProblem(t.db, report.id, line, t.clock.now())));
    expect((await problemsOfReport(report)).toSorted()).toEqual(lines.toSorted());
  });

  it('writes a line once however often it comes', async () => {
    const report = await newReport();
    await addReportProblem(t.db, report.id, notArchived(0), t.clock.now());
    await addReportProblem(t.db, report.id, notArchived(0), t.clock.now());
    expect(await problemsOfReport(report)).toEqual([notArchived(0)]);
  });

  // Deterministic where the test above depends on timing: a transaction holds the report's row
  // while two lines are added, and lets go once both wait for it. Each must then read the list as
  // the other left it. SQLite has one connection: nothing can wait on a row there.
  it.runIf(testDialect === 'postgres')(
    'adds a line to the list as the other writer left it, not as both first read it',
    async () => {
      const report = await newReport();
      let adding: Promise<void>[] = [];
      await t.db.transaction().execute(async (trx) => {
        await trx.updateTable('reports').set({ updated_at: 0 }).where('id', '=', report.id).execute();
        adding = [0, 1].map((index) => addReportProblem(t.db, report.id, notArchived(index), t.clock.now()));
        await vi.waitFor(async () => expect(await lockWaiters()).toBe(2), { timeout: 10_000 });
      });
      await Promise.all(adding);
      expect((await problemsOfReport(report)).toSorted()).toEqual([notArchived(0), notArchived(1)]);
    },
  );
});

/**
 * How many sessions of this database wait for a lock (https://www.postgresql.org/docs/15/functions-info.html):
 * the first writer waits for the holder, the next one for the first, queued on the same row.
 */
async function lockWaiters(): Promise<number> {
  const { rows } = await sql<{ waiting: number }>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and cardinality(pg_blocking_pids(pid)) > 0
  `.execute(t.db);
  return rows[0]!.waiting;
}
