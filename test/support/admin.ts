import type { NewReport } from '../../src/conversation/outcome.ts';
import type { DraftMedia, ReportKind } from '../../src/conversation/state.ts';
import type { Db } from '../../src/db/database.ts';
import { insertReport, type ReportRow } from '../../src/reports/report-store.ts';

/** A fake admin token, long enough for the config (16+ characters). */
export const ADMIN_TOKEN = 'fake-admin-token-0123456789';
export const ADMIN_AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

export function photo(messageId: number, date = 1774449000): DraftMedia {
  return {
    fileId: `AgACAgQ-fake-${messageId}`,
    fileUniqueId: `AQAD-fake-${messageId}`,
    messageId,
    date,
    source: 'photo',
    mimeType: undefined,
    fileName: undefined,
    fileSize: 1000,
    mediaGroupId: undefined,
  };
}

export interface ReportSeed {
  readonly kind: ReportKind;
  readonly chantier: string;
  readonly text?: string;
  readonly photos?: number;
  readonly technician?: { readonly userId: number; readonly name: string };
  /** ISO time the report is recorded at. */
  readonly at: string;
}

let nextSource = 1;

/** Records a report as the dispatcher does: `insertReport` inside a transaction. */
export async function seedReport(db: Db, seed: ReportSeed): Promise<ReportRow> {
  const technician = seed.technician ?? { userId: 111111111, name: 'Jean Test' };
  const report: NewReport = {
    kind: seed.kind,
    chantier: seed.chantier,
    text: seed.text ?? '',
    media: Array.from({ length: seed.photos ?? 0 }, (_, index) => photo(100 + index)),
    technician,
    chatId: technician.userId,
  };
  const row = await db
    .transaction()
    .execute((trx) => insertReport(trx, 'etm-terrain', `seed-${nextSource++}`, report, new Date(seed.at)));
  if (!row) throw new Error('report not recorded');
  return row;
}
