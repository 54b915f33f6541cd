import type { DraftMedia, ReportKind } from '../conversation/state.ts';
import type { ArchivePlan } from './archive-plan.ts';
import type { ReportFacts } from './report-messages.ts';
import { type ReportRow, reportItems, reportMedia } from './report-store.ts';

/** Reading a report row's JSON columns, in one place. */

export const reportKind = (row: ReportRow): ReportKind => row.kind as ReportKind;

export function archivePlanOf(row: ReportRow): ArchivePlan | undefined {
  return row.archive_plan ? (JSON.parse(row.archive_plan) as ArchivePlan) : undefined;
}

/**
 * The photos in the report's folder: those its plan marks stored. Without a plan (no archive
 * configured, or the plan failed for good) the photos received, as the office's message says.
 */
export function filedPhotoCount(row: ReportRow): number {
  const plan = archivePlanOf(row);
  return plan ? plan.files.filter((file) => file.stored).length : reportMedia(row).length;
}

export function problemsOf(row: ReportRow): string[] {
  return JSON.parse(row.problems) as string[];
}

/**
 * The report's one date, wherever it is shown (folder, photo names, card, Markdown): when the
 * technician sent it (the Telegram date of its first photo), not when the service received it,
 * which is later whenever a message arrives late. A report without photos has no message date
 * kept: it is dated when it was recorded.
 */
export function reportDate(row: ReportRow): Date {
  const first = reportMedia(row)[0];
  return first === undefined ? new Date(row.created_at) : new Date(first.date * 1000);
}

export function mediaOf(row: ReportRow, messageId: number): DraftMedia | undefined {
  return reportMedia(row).find((m) => m.messageId === messageId);
}

export function factsOf(row: ReportRow, photoCount: number): ReportFacts {
  return {
    publicId: row.public_id,
    kind: reportKind(row),
    technician: row.technician_name,
    chantier: row.chantier,
    text: row.text,
    items: reportItems(row),
    photoCount,
    folder: row.folder ?? undefined,
  };
}
