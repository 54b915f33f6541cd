import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { HttpError } from '../http-error.ts';
import type { CredentialsBreaker } from '../nextcloud/credentials-breaker.ts';
import { ErrorSchema } from './telegram-update.ts';

export interface AdminNextcloudRoutesOptions {
  /** Undefined when Nextcloud is not configured. */
  readonly breaker: CredentialsBreaker | undefined;
  readonly wakeWorker: () => void;
}

export const ResumedSchema = Type.Object({ resumed: Type.Boolean() });

/**
 * The office fixed the Nextcloud account (the same app password works again, e.g. after a
 * brute-force lock was lifted): the waiting Nextcloud jobs call it again. A new password needs
 * no call: a process configured with it resumes by itself.
 */
export const adminNextcloudRoutes: FastifyPluginAsyncTypebox<AdminNextcloudRoutesOptions> = async (
  app,
  options,
) => {
  app.post(
    '/nextcloud/resume',
    { schema: { response: { 200: ResumedSchema, 409: ErrorSchema } } },
    async (request) => {
      if (!options.breaker) {
        throw new HttpError(409, 'nextcloud_off', 'Nextcloud is not configured (NEXTCLOUD_URL)');
      }
      const resumed = await options.breaker.resume();
      options.wakeWorker();
      request.log.warn({ resumed }, 'Nextcloud calls resumed by an admin');
      return { resumed };
    },
  );
};
