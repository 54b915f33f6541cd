import Type, { type Static, type TSchema } from 'typebox';
import { type ReportRow, reportItems, reportMedia } from '../reports/report-store.ts';

/**
 * A report as the admin API shows it: ISO times, parsed lists, and where its background work
 * filed it (folder, Deck card) once that is known. Pure.
 */

/** The archive columns, read when the row has them (they arrive with a later migration). */
export type ViewableReportRow = ReportRow & {
  readonly folder?: string | null;
  readonly deck_card_id?: number | null;
  readonly deck_card_url?: string | null;
};

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });

export const ReportTypeSchema = Type.Enum(['fin', 'sav', 'materiel']);
export const ReportStatusSchema = Type.Enum(['received', 'done', 'failed']);

const reportFields = {
  id: Type.Integer(),
  publicId: Type.String(),
  type: ReportTypeSchema,
  slug: Type.String(),
  technician: Type.Object({ userId: Type.Integer(), name: Type.String() }),
  chantier: Type.String(),
  text: Type.String(),
  items: Type.Array(Type.String()),
  photoCount: Type.Integer({ minimum: 0 }),
  status: ReportStatusSchema,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  confirmedAt: Nullable(IsoTime),
  folder: Nullable(Type.String()),
  deckCardId: Nullable(Type.Integer()),
  deckCardUrl: Nullable(Type.String()),
};

export const ReportSchema = Type.Object(reportFields);

export const ReportPhotoSchema = Type.Object({
  messageId: Type.Integer(),
  date: IsoTime,
  source: Type.Enum(['photo', 'document', 'video']),
  mimeType: Nullable(Type.String()),
  fileName: Nullable(Type.String()),
});

export const ReportDetailSchema = Type.Object({ ...reportFields, photos: Type.Array(ReportPhotoSchema) });

export type ReportView = Static<typeof ReportSchema>;
export type ReportDetailView = Static<typeof ReportDetailSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

export function reportView(row: ViewableReportRow): ReportView {
  return {
    id: row.id,
    publicId: row.public_id,
    type: row.kind as ReportView['type'],
    slug: row.slug,
    technician: { userId: row.user_id, name: row.technician_name },
    chantier: row.chantier,
    text: row.text,
    items: reportItems(row),
    photoCount: reportMedia(row).length,
    status: row.status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    confirmedAt: row.confirmed_at === null ? null : iso(row.confirmed_at),
    folder: row.folder ?? null,
    deckCardId: row.deck_card_id ?? null,
    deckCardUrl: row.deck_card_url ?? null,
  };
}

export function reportDetailView(row: ViewableReportRow): ReportDetailView {
  return {
    ...reportView(row),
    photos: reportMedia(row).map((media) => ({
      messageId: media.messageId,
      date: iso(media.date * 1000),
      source: media.source,
      mimeType: media.mimeType ?? null,
      fileName: media.fileName ?? null,
    })),
  };
}
