import type { Transaction } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { insertReport, type ReportRow } from '../../src/reports/report-store.ts';

/** The problem the SAV report of the assistant's job tests describes. */
export const SAV_TEXT = 'PAC en défaut E-12';

/** A SAV report from technician Anna on chantier Müller, as a technician's message records it. */
export async function insertSavReport(trx: Transaction<Database>, now: Date): Promise<ReportRow> {
  const report = await insertReport(
    trx,
    'etm',
    'etm:sav-1',
    {
      kind: 'sav',
      chantier: 'Müller',
      text: SAV_TEXT,
      media: [],
      technician: { userId: 7, name: 'Anna' },
      chatId: 7,
    },
    now,
  );
  if (!report) throw new Error('the SAV report was already recorded');
  return report;
}
