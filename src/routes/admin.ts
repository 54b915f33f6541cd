import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { adminGuard } from '../admin/bearer-auth.ts';
import type { Db } from '../db/database.ts';
import { adminAssistantRoutes } from './admin-assistant.ts';
import { adminJobRoutes } from './admin-jobs.ts';
import { adminNextcloudRoutes } from './admin-nextcloud.ts';
import type { CredentialsBreaker } from '../nextcloud/credentials-breaker.ts';
import { adminReportRoutes } from './admin-reports.ts';
import { adminStatsRoutes } from './admin-stats.ts';
import { validationMessageInWords } from './query-errors.ts';

export interface AdminRoutesOptions {
  readonly db: Db;
  /** Unset: the admin API is off and its routes answer 404 like routes that do not exist. */
  readonly adminToken: string | undefined;
  readonly reportTimezone: string;
  readonly clock: () => Date;
  /** A dead job was given new attempts: it should run at once. */
  readonly wakeWorker: () => void;
  readonly assistantEnabled: boolean;
  /** Nextcloud's credentials breaker; undefined when Nextcloud is not configured. */
  readonly nextcloudBreaker: CredentialsBreaker | undefined;
}

/** Everything under `/admin`: behind `Authorization: Bearer <ADMIN_TOKEN>`, checked first. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', adminGuard(options.adminToken));
  app.setSchemaErrorFormatter(validationMessageInWords);
  // Not `options` itself: it holds this plugin's `prefix`, which children would add again.
  const { db, reportTimezone, clock, wakeWorker, assistantEnabled, nextcloudBreaker } = options;
  await app.register(adminJobRoutes, { db, clock, wakeWorker });
  await app.register(adminAssistantRoutes, { db, clock, wakeWorker, assistantEnabled });
  await app.register(adminReportRoutes, { db, reportTimezone, clock });
  await app.register(adminStatsRoutes, { db, reportTimezone, clock });
  await app.register(adminNextcloudRoutes, { breaker: nextcloudBreaker, wakeWorker });
};
