import Type, { type Static } from 'typebox';
import type { Db } from '../db/database.ts';
import type { ReportKind } from '../conversation/state.ts';
import { zonedDay } from './zoned-days.ts';

/**
 * What the office's dashboard shows: reports per type per day (days in the report time zone)
 * and per technician, how long the background work took to confirm a report, and the queue.
 */

const Count = Type.Integer({ minimum: 0 });
const countsByType = { fin: Count, sav: Count, materiel: Count, total: Count };

export const StatsSchema = Type.Object({
  timeZone: Type.String(),
  from: Type.String({ format: 'date-time' }),
  /** Excluded. */
  to: Type.String({ format: 'date-time' }),
  reports: Type.Object({
    byType: Type.Object(countsByType),
    perDay: Type.Array(
      Type.Object({ day: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), ...countsByType }),
    ),
    perTechnician: Type.Array(Type.Object({ userId: Type.Integer(), name: Type.String(), ...countsByType })),
    confirmation: Type.Object({
      confirmed: Count,
      medianSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    }),
  }),
  jobs: Type.Object({ pending: Count, running: Count, dead: Count }),
});

export type Stats = Static<typeof StatsSchema>;
type ReportStats = Stats['reports'];
type TypeCounts = Stats['reports']['byType'];

/** The fields of a report the statistics read. */
export interface StatsReport {
  readonly kind: string;
  readonly user_id: number;
  readonly technician_name: string;
  readonly created_at: number;
  readonly confirmed_at: number | null;
}

const KINDS: readonly ReportKind[] = ['fin', 'sav', 'materiel'];
const zeroCounts = (): TypeCounts => ({ fin: 0, sav: 0, materiel: 0, total: 0 });

function count(counts: TypeCounts, kind: string): void {
  if ((KINDS as readonly string[]).includes(kind)) counts[kind as ReportKind]++;
  counts.total++;
}

/** Pure: `reports` in creation order; the technician's name is the one of their latest report. */
export function summariseReports(reports: readonly StatsReport[], timeZone: string): ReportStats {
  const byType = zeroCounts();
  const perDay = new Map<string, TypeCounts>();
  const perTechnician = new Map<number, { userId: number; name: string } & TypeCounts>();
  const confirmSeconds: number[] = [];
  for (const report of reports) {
    count(byType, report.kind);
    const day = zonedDay(report.created_at, timeZone);
    const dayCounts = perDay.get(day) ?? zeroCounts();
    perDay.set(day, dayCounts);
    count(dayCounts, report.kind);
    const technician = perTechnician.get(report.user_id) ?? {
      userId: report.user_id,
      name: '',
      ...zeroCounts(),
    };
    technician.name = report.technician_name;
    perTechnician.set(report.user_id, technician);
    count(technician, report.kind);
    if (report.confirmed_at !== null) confirmSeconds.push((report.confirmed_at - report.created_at) / 1000);
  }
  return {
    byType,
    perDay: [...perDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, ...counts })),
    perTechnician: [...perTechnician.values()].sort(
      (a, b) => b.total - a.total || a.name.localeCompare(b.name, 'fr'),
    ),
    confirmation: { confirmed: confirmSeconds.length, medianSeconds: median(confirmSeconds) },
  };
}

/** The middle value (the mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Reads the statistics of reports created in [fromMs, toMs) and the queue's current counts. */
export async function readStats(db: Db, fromMs: number, toMs: number, timeZone: string): Promise<Stats> {
  const reports = await db
    .selectFrom('reports')
    .select(['kind', 'user_id', 'technician_name', 'created_at', 'confirmed_at'])
    .where('created_at', '>=', fromMs)
    .where('created_at', '<', toMs)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return {
    timeZone,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    reports: summariseReports(reports, timeZone),
    jobs: await jobQueueCounts(db),
  };
}

async function jobQueueCounts(db: Db): Promise<Stats['jobs']> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['state', eb.fn.countAll<number | bigint | string>().as('count')])
    .where('state', 'in', ['pending', 'running', 'dead'])
    .groupBy('state')
    .execute();
  const counts = { pending: 0, running: 0, dead: 0 };
  for (const row of rows) counts[row.state as keyof typeof counts] = Number(row.count);
  return counts;
}
