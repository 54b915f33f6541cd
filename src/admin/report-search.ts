import type { Db } from '../db/database.ts';
import type { ReportStatus } from '../db/schema.ts';
import { REPORT_KINDS, type ReportKind } from '../conversation/state.ts';
import { publicReportId } from '../reports/report-store.ts';
import type { ViewableReportRow } from './report-view.ts';
import { containsFolded } from './text-search.ts';

/**
 * The office's search over reports, newest first (creation time, then id, so that reports
 * recorded in the same millisecond keep a stable order across pages). Type, status and dates
 * are filtered in SQL. Chantier and technician match without case or accents, which SQLite's `lower()` and `LIKE`
 * cannot do beyond ASCII: those two are matched here, over the narrow (id, names) rows the SQL
 * filters leave, and only the page's full rows are read afterwards.
 */

/** SQLite counts in numbers; PostgreSQL's drivers give bigint or text. */
type Count = number | bigint | string;

export interface ReportFilter {
  readonly type?: ReportKind | undefined;
  readonly status?: ReportStatus | undefined;
  /** Contained in the chantier, without case or accents. */
  readonly chantier?: string | undefined;
  /** Contained in the technician's name, without case or accents. */
  readonly technician?: string | undefined;
  /** Unix ms, included. */
  readonly fromMs?: number | undefined;
  /** Unix ms, excluded. */
  readonly toMs?: number | undefined;
}

export interface ReportPage {
  readonly total: number;
  readonly reports: ViewableReportRow[];
}

export async function searchReports(
  db: Db,
  filter: ReportFilter,
  limit: number,
  offset: number,
): Promise<ReportPage> {
  if (!hasTextFilter(filter)) {
    const counted = await sqlFiltered(db, filter)
      .select((eb) => eb.fn.countAll<Count>().as('total'))
      .executeTakeFirstOrThrow();
    const reports = await sqlFiltered(db, filter)
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    return { total: Number(counted.total), reports };
  }
  const candidates = await sqlFiltered(db, filter)
    .select(['id', 'chantier', 'technician_name'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const ids = candidates.filter((row) => matchesText(row, filter)).map((row) => row.id);
  return { total: ids.length, reports: await reportsByIds(db, ids.slice(offset, offset + limit)) };
}

/** Every report the filter matches, newest first (the CSV export). */
export async function allReports(db: Db, filter: ReportFilter): Promise<ViewableReportRow[]> {
  const rows = await sqlFiltered(db, filter)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return hasTextFilter(filter) ? rows.filter((row) => matchesText(row, filter)) : rows;
}

/** By numeric id (`12`) or public id (`SAV-0042`, `sav-42`). */
export async function findReport(db: Db, key: string): Promise<ViewableReportRow | undefined> {
  const query = db.selectFrom('reports').selectAll();
  if (/^[0-9]+$/.test(key)) return query.where('id', '=', Number(key)).executeTakeFirst();
  const publicId = normalisedPublicId(key);
  if (publicId === undefined) return undefined;
  return query.where('public_id', '=', publicId).executeTakeFirst();
}

/** `sav-42` → `SAV-0042`, through the one function that writes public ids. */
function normalisedPublicId(key: string): string | undefined {
  const match = /^([A-Za-z]+)-([0-9]{1,9})$/.exec(key);
  if (!match) return undefined;
  const prefix = `${match[1]!.toUpperCase()}-`;
  const kind = REPORT_KINDS.find((candidate) => publicReportId(candidate, 0).startsWith(prefix));
  return kind === undefined ? undefined : publicReportId(kind, Number(match[2]));
}

const hasTextFilter = (filter: ReportFilter) =>
  Boolean(filter.chantier?.trim()) || Boolean(filter.technician?.trim());

function matchesText(row: { chantier: string; technician_name: string }, filter: ReportFilter): boolean {
  return (
    (filter.chantier === undefined || containsFolded(row.chantier, filter.chantier)) &&
    (filter.technician === undefined || containsFolded(row.technician_name, filter.technician))
  );
}

function sqlFiltered(db: Db, filter: ReportFilter) {
  let query = db.selectFrom('reports');
  if (filter.type !== undefined) query = query.where('kind', '=', filter.type);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.fromMs !== undefined) query = query.where('created_at', '>=', filter.fromMs);
  if (filter.toMs !== undefined) query = query.where('created_at', '<', filter.toMs);
  return query;
}

async function reportsByIds(db: Db, ids: readonly number[]): Promise<ViewableReportRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('reports').selectAll().where('id', 'in', ids).execute();
  const position = new Map(ids.map((id, index) => [id, index]));
  return rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
}
