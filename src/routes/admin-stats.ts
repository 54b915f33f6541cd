import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DATE_BOUND_PATTERN, parseDateRange } from '../admin/date-range.ts';
import { readStats, StatsSchema } from '../admin/report-stats.ts';
import { startOfZonedDay, zonedDay } from '../admin/zoned-days.ts';
import type { Db } from '../db/database.ts';
import { HttpError } from '../http-error.ts';
import { ErrorSchema } from './telegram-update.ts';

export interface AdminStatsRoutesOptions {
  readonly db: Db;
  readonly reportTimezone: string;
  readonly clock: () => Date;
}

export const StatsQuerySchema = Type.Object({
  from: Type.Optional(Type.String({ pattern: DATE_BOUND_PATTERN })),
  to: Type.Optional(Type.String({ pattern: DATE_BOUND_PATTERN })),
});

/** Without `from`, the statistics cover 30 days up to `to`; without `to`, up to today included. */
export const DEFAULT_STATS_DAYS = 30;

export const adminStatsRoutes: FastifyPluginAsyncTypebox<AdminStatsRoutesOptions> = async (app, options) => {
  app.get(
    '/stats',
    { schema: { querystring: StatsQuerySchema, response: { 200: StatsSchema, 400: ErrorSchema } } },
    async (request) => {
      const zone = options.reportTimezone;
      const parsed = parseDateRange(request.query.from, request.query.to, zone);
      if ('problem' in parsed) throw new HttpError(400, 'invalid_date_range', parsed.problem);
      const now = options.clock().getTime();
      const today = zonedDay(now, zone);
      const toMs = parsed.range.toMs ?? startOfZonedDay(today, zone, 1);
      const fromMs =
        parsed.range.fromMs ?? startOfZonedDay(zonedDay(toMs - 1, zone), zone, 1 - DEFAULT_STATS_DAYS);
      if (fromMs >= toMs) throw new HttpError(400, 'invalid_date_range', 'from must come before to');
      return readStats(options.db, fromMs, toMs, zone);
    },
  );
};
