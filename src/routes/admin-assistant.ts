import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { enqueueAssistantSync } from '../assistant/assistant-jobs.ts';
import type { Db } from '../db/database.ts';
import { HttpError } from '../http-error.ts';
import { ErrorSchema } from './telegram-update.ts';

export interface AdminAssistantRoutesOptions {
  readonly db: Db;
  readonly clock: () => Date;
  readonly wakeWorker: () => void;
  readonly assistantEnabled: boolean;
}

export const SyncQueuedSchema = Type.Object({ queued: Type.Literal(true) });

/** The office edited the known fixes and wants them used now rather than within the hour. */
export const adminAssistantRoutes: FastifyPluginAsyncTypebox<AdminAssistantRoutesOptions> = async (
  app,
  options,
) => {
  app.post(
    '/assistant/sync',
    { schema: { response: { 202: SyncQueuedSchema, 409: ErrorSchema } } },
    async (request, reply) => {
      if (!options.assistantEnabled) {
        throw new HttpError(
          409,
          'assistant_off',
          'the SAV assistant is off (ASSISTANT_ENABLED, or no bot token)',
        );
      }
      await enqueueAssistantSync(options.db, options.clock(), 'admin');
      options.wakeWorker();
      request.log.info('knowledge sync queued by an admin');
      return reply.code(202).send({ queued: true as const });
    },
  );
};
