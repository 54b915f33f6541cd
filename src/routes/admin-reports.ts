import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { DATE_BOUND_PATTERN, parseDateRange } from '../admin/date-range.ts';
import { CSV_CONTENT_TYPE, reportsCsv } from '../admin/report-csv.ts';
import { allReports, findReport, type ReportFilter, searchReports } from '../admin/report-search.ts';
import {
  ReportDetailSchema,
  reportDetailView,
  ReportSchema,
  ReportStatusSchema,
  ReportTypeSchema,
  reportView,
} from '../admin/report-view.ts';
import { zonedDay } from '../admin/zoned-days.ts';
import type { Db } from '../db/database.ts';
import { HttpError } from '../http-error.ts';
import { ErrorSchema } from './telegram-update.ts';

export interface AdminReportRoutesOptions {
  readonly db: Db;
  readonly reportTimezone: string;
  readonly clock: () => Date;
}

const SearchText = Type.String({ minLength: 1, maxLength: 200 });
const DateBound = Type.String({ pattern: DATE_BOUND_PATTERN });

const filterFields = {
  type: Type.Optional(ReportTypeSchema),
  status: Type.Optional(ReportStatusSchema),
  chantier: Type.Optional(SearchText),
  technician: Type.Optional(SearchText),
  from: Type.Optional(DateBound),
  to: Type.Optional(DateBound),
};

/**
 * The largest offset taken: beyond it, a number no longer reaches SQLite's and PostgreSQL's
 * OFFSET exactly (JavaScript's safe integers), and a larger one made them fail with a 500.
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export const ReportCsvQuerySchema = Type.Object(filterFields);
export const ReportListQuerySchema = Type.Object({
  ...filterFields,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 })),
});
export const ReportListSchema = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 1 }),
  offset: Type.Integer({ minimum: 0 }),
  /** The offset of the next page; null on the last one. */
  nextOffset: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  reports: Type.Array(ReportSchema),
});
export const ReportKeyParamsSchema = Type.Object({
  id: Type.String({ pattern: '^([0-9]{1,15}|[A-Za-z]{1,10}-[0-9]{1,9})$' }),
});

type FilterQuery = Static<typeof ReportCsvQuerySchema>;

/** The reports for the office: search, one report, and the CSV export for Excel. */
export const adminReportRoutes: FastifyPluginAsyncTypebox<AdminReportRoutesOptions> = async (
  app,
  options,
) => {
  const toFilter = (query: FilterQuery): ReportFilter => {
    const parsed = parseDateRange(query.from, query.to, options.reportTimezone);
    if ('problem' in parsed) throw new HttpError(400, 'invalid_date_range', parsed.problem);
    return {
      type: query.type,
      status: query.status,
      chantier: query.chantier,
      technician: query.technician,
      ...parsed.range,
    };
  };

  app.get(
    '/reports',
    { schema: { querystring: ReportListQuerySchema, response: { 200: ReportListSchema, 400: ErrorSchema } } },
    async (request) => {
      const { limit = 50, offset = 0 } = request.query;
      const page = await searchReports(options.db, toFilter(request.query), limit, offset);
      const next = offset + page.reports.length;
      return {
        total: page.total,
        limit,
        offset,
        nextOffset: next < page.total && page.reports.length > 0 ? next : null,
        reports: page.reports.map(reportView),
      };
    },
  );

  app.get(
    '/reports.csv',
    { schema: { querystring: ReportCsvQuerySchema, response: { 200: Type.String(), 400: ErrorSchema } } },
    async (request, reply) => {
      const rows = await allReports(options.db, toFilter(request.query));
      const day = zonedDay(options.clock().getTime(), options.reportTimezone);
      return reply
        .type(CSV_CONTENT_TYPE)
        .header('content-disposition', `attachment; filename="rapports-${day}.csv"`)
        .send(reportsCsv(rows, options.reportTimezone));
    },
  );

  app.get(
    '/reports/:id',
    { schema: { params: ReportKeyParamsSchema, response: { 200: ReportDetailSchema, 404: ErrorSchema } } },
    async (request) => {
      const report = await findReport(options.db, request.params.id);
      if (!report) throw new HttpError(404, 'report_not_found', `no report ${request.params.id}`);
      return reportDetailView(report);
    },
  );
};
