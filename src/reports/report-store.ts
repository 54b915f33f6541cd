import type { Selectable, Transaction } from 'kysely';
import type { NewReport } from '../conversation/outcome.ts';
import type { DraftMedia, ReportKind } from '../conversation/state.ts';
import { materialItems } from '../conversation/draft.ts';
import { lockForTransaction } from '../db/cluster-lock.ts';
import { isPostgres } from '../db/dialect.ts';
import type { Db } from '../db/database.ts';
import { rememberChantiers } from '../dispatch/known-chantiers.ts';
import type { Database, ReportsTable } from '../db/schema.ts';
import type { ArchivePlan } from './archive-plan.ts';

export type ReportRow = Selectable<ReportsTable>;

const PREFIXES: Record<ReportKind, string> = { fin: 'FIN', sav: 'SAV', materiel: 'MAT' };

/** `SAV-0042`: the kind's prefix and its sequence number, at least four digits. */
export function publicReportId(kind: ReportKind, seq: number): string {
  return `${PREFIXES[kind]}-${String(seq).padStart(4, '0')}`;
}

/**
 * Records a complete report in the caller's transaction. Returns undefined when this draft was
 * already recorded (same source key): a redelivered update must not create a second report.
 */
export async function insertReport(
  trx: Transaction<Database>,
  slug: string,
  sourceKey: string,
  report: NewReport,
  now: Date,
): Promise<ReportRow | undefined> {
  const existing = await trx
    .selectFrom('reports')
    .select('id')
    .where('source_key', '=', sourceKey)
    .executeTakeFirst();
  if (existing) return undefined;
  // SAV-0042 must be unique across replicas: the next number is read and taken under a lock held
  // until this transaction ends (the unique (kind, seq) key would otherwise fail the second one).
  await lockForTransaction(trx, `reports.seq:${report.kind}`);
  const last = await trx
    .selectFrom('reports')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('kind', '=', report.kind)
    .executeTakeFirst();
  const seq = (last?.seq ?? 0) + 1;
  // The next technician who answers this chantier's name finds it known, in this spelling.
  await rememberChantiers(trx, [report.chantier], now);
  return trx
    .insertInto('reports')
    .values({
      public_id: publicReportId(report.kind, seq),
      kind: report.kind,
      seq,
      slug,
      source_key: sourceKey,
      chat_id: report.chatId,
      user_id: report.technician.userId,
      technician_name: report.technician.name,
      chantier: report.chantier,
      text: report.text,
      items: JSON.stringify(report.kind === 'materiel' ? materialItems(report.text) : []),
      media: JSON.stringify(report.media),
      status: 'received',
      created_at: now.getTime(),
      updated_at: now.getTime(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Adds late photos to a report, once each (by message id). Undefined if the report is unknown. */
export async function addReportMedia(
  trx: Transaction<Database>,
  sourceKey: string,
  media: readonly DraftMedia[],
  now: Date,
): Promise<{ report: ReportRow; added: DraftMedia[] } | undefined> {
  const report = await trx
    .selectFrom('reports')
    .selectAll()
    .where('source_key', '=', sourceKey)
    .executeTakeFirst();
  if (!report) return undefined;
  const current = reportMedia(report);
  const added = media.filter((m) => !current.some((c) => c.messageId === m.messageId));
  if (added.length > 0) {
    await trx
      .updateTable('reports')
      .set({ media: JSON.stringify([...current, ...added]), updated_at: now.getTime() })
      .where('id', '=', report.id)
      .execute();
  }
  return { report, added };
}

/**
 * Changes a report's archive plan from its current value, in the caller's transaction. Uploads of
 * one report end in parallel, in several workers: on PostgreSQL the row is locked before it is
 * read, or one change would overwrite another's (SQLite runs one transaction at a time). Returns
 * the new plan, or undefined when the report has none.
 */
export async function changeArchivePlan(
  trx: Transaction<Database>,
  reportId: number,
  now: Date,
  change: (plan: ArchivePlan) => ArchivePlan,
): Promise<ArchivePlan | undefined> {
  let query = trx.selectFrom('reports').select('archive_plan').where('id', '=', reportId);
  if (isPostgres(trx)) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row?.archive_plan) return undefined;
  const plan = change(JSON.parse(row.archive_plan) as ArchivePlan);
  await trx
    .updateTable('reports')
    .set({ archive_plan: JSON.stringify(plan), updated_at: now.getTime() })
    .where('id', '=', reportId)
    .execute();
  return plan;
}

export async function getReport(db: Db, id: number): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Reads a report in the caller's transaction to decide on it and then write it: on PostgreSQL its
 * row is locked until the transaction ends, as in changeArchivePlan, so that another replica's job
 * deciding on the same report waits and then reads what this one wrote (in READ COMMITTED a plain
 * read sees the row as it was before a concurrent writer committed:
 * https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED). SQLite runs one
 * transaction at a time.
 */
export async function lockReport(trx: Transaction<Database>, id: number): Promise<ReportRow | undefined> {
  let query = trx.selectFrom('reports').selectAll().where('id', '=', id);
  if (isPostgres(trx)) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function reportMedia(report: ReportRow): DraftMedia[] {
  return JSON.parse(report.media) as DraftMedia[];
}

export function reportItems(report: ReportRow): string[] {
  return JSON.parse(report.items) as string[];
}
