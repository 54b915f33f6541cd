import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { BotConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { ConversationSettings } from '../conversation/settings.ts';
import { dispatchUpdate } from '../dispatch/dispatch-update.ts';
import { HttpError } from '../http-error.ts';
import { type UpdateKind, type UpdateOutcome, updateKind } from '../metrics/metrics.ts';
import { UpdateSchema } from '../telegram/update-schema.ts';

export interface TelegramUpdateRouteOptions {
  readonly db: Db;
  readonly bots: readonly BotConfig[];
  readonly clock: () => Date;
  readonly settings: ConversationSettings;
  /** Called after an update was recorded: jobs may be waiting. */
  readonly onRecorded: () => void;
  /** Counts each update by kind and outcome (metrics). */
  readonly onCounted?: (kind: UpdateKind, outcome: UpdateOutcome) => void;
}

export const ErrorSchema = Type.Object({ error: Type.String(), message: Type.String() });
export const ReplySchema = Type.Object({ text: Type.String() });
/** The gateway relays nothing for an empty body. */
export const EmptySchema = Type.String({ maxLength: 0 });

/** The gateway contract (README, "The HTTP contract"): one Update in, `{text}` or an empty 200 out, in milliseconds. */
export const telegramUpdateRoute: FastifyPluginAsyncTypebox<TelegramUpdateRouteOptions> = async (
  app,
  options,
) => {
  const bots = new Map(options.bots.map((bot) => [bot.slug, bot]));

  app.post(
    '/telegram/update',
    {
      schema: {
        headers: Type.Object({ 'x-bot-slug': Type.Optional(Type.String()) }),
        body: UpdateSchema,
        response: { 200: Type.Union([ReplySchema, EmptySchema]) },
      },
      attachValidation: true,
      // The slug is checked before the body is read: an unknown bot costs nothing.
      onRequest: async (request) => {
        const slug = request.headers['x-bot-slug'];
        if (typeof slug !== 'string' || !bots.has(slug)) {
          throw new HttpError(
            404,
            'unknown_slug',
            `no bot is served for X-Bot-Slug ${JSON.stringify(slug ?? null)}`,
          );
        }
      },
    },
    async (request, reply) => {
      if (request.validationError) {
        throw new HttpError(
          400,
          'invalid_update',
          `the body is not a Telegram Update: ${request.validationError.message}`,
        );
      }
      const bot = bots.get(request.headers['x-bot-slug'] as string)!;
      request.log.debug({ update: request.body }, 'update received');
      const kind = updateKind(request.body);
      const result = await dispatchOrUnavailable(
        options.db,
        bot,
        request.body,
        options.clock(),
        options.settings,
      ).catch((error: unknown) => {
        options.onCounted?.(kind, 'failed');
        throw error;
      });
      options.onCounted?.(kind, result.outcome);
      if (result.outcome !== 'duplicate') options.onRecorded();
      if (result.error !== undefined)
        request.log.error({ updateId: request.body.update_id, err: result.error }, 'update not processed');
      // Said on the request's one completion line (src/app.ts).
      else request.logFields = { updateId: request.body.update_id, outcome: result.outcome };
      // An empty 200 tells the gateway there is nothing to relay.
      if (result.reply === undefined) return reply.code(200).send('');
      return { text: result.reply };
    },
  );
};

async function dispatchOrUnavailable(...args: Parameters<typeof dispatchUpdate>) {
  try {
    return await dispatchUpdate(...args);
  } catch (error) {
    // Not recorded: a non-2xx makes Telegram (through the gateway) send the update again.
    throw new HttpError(503, 'unavailable', 'the update could not be recorded; it will be retried', {
      cause: error,
    });
  }
}
