import { describe, expect, it } from 'vitest';
import type { ArchivePlan } from '../../src/reports/archive-plan.ts';
import { changeArchivePlan, getReport } from '../../src/reports/report-store.ts';
import { seedReport } from '../support/admin.ts';
import { databaseEachTest } from '../support/database.ts';

const t = databaseEachTest();
const PHOTOS = 8;

describe('changeArchivePlan', () => {
  it('keeps every change when the uploads of one report record theirs at the same moment', async () => {
    const report = await seedReport(t.db, {
      kind: 'fin',
      chantier: 'Müller',
      photos: PHOTOS,
      at: '2026-03-25T14:30:00Z',
    });
    const plan: ArchivePlan = {
      folder: 'Chantiers/20260325_Müller/30_Photos_Chantier',
      files: Array.from({ length: PHOTOS }, (_, index) => ({
        messageId: 100 + index,
        name: `photo_0${index + 1}.jpg`,
      })),
      markdown: undefined,
    };
    await t.db
      .updateTable('reports')
      .set({ archive_plan: JSON.stringify(plan) })
      .where('id', '=', report.id)
      .execute();
    // On PostgreSQL each transaction has its own connection: they really overlap.
    await Promise.all(
      plan.files.map((file) =>
        t.db.transaction().execute((trx) =>
          changeArchivePlan(trx, report.id, t.clock.now(), (current) => ({
            ...current,
            files: current.files.map((f) => (f.messageId === file.messageId ? { ...f, stored: true } : f)),
          })),
        ),
      ),
    );
    const stored = JSON.parse((await getReport(t.db, report.id))!.archive_plan!) as ArchivePlan;
    expect(stored.files.filter((file) => file.stored)).toHaveLength(PHOTOS);
  });
});
