import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Db } from '../db/database.ts';

export interface HealthRouteOptions {
  readonly db: Db;
  readonly clock: () => Date;
  /** The SAV assistant's state: reported, never a reason to be unready. */
  readonly assistantStatus?: () => string;
  /**
   * 'ok' or 'unauthorized' (the credentials breaker is open), read from the database: reported,
   * never a reason to be unready.
   */
  readonly nextcloudStatus?: () => Promise<string>;
}

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/**
 * Liveness (the process answers) and readiness (the database takes a write). The assistant and
 * Nextcloud are only reported: reports are still taken in while they are down.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, options) => {
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { response: { 200: Health, 503: Health } } }, async (request, reply) => {
    const database = await databaseWritable(options.db, options.clock());
    const checks: Record<string, string> = { database };
    if (options.assistantStatus) checks.assistant = options.assistantStatus();
    if (options.nextcloudStatus) checks.nextcloud = await nextcloudState(options.nextcloudStatus, database);
    if (database === 'ok') return { status: 'ok' as const, checks };
    request.log.warn({ database }, 'not ready');
    return reply.code(503).send({ status: 'unavailable', checks });
  });
};

/** 'ok', or why the database does not take a write. */
async function databaseWritable(db: Db, now: Date): Promise<string> {
  try {
    await db
      .insertInto('readiness_probe')
      .values({ id: 1, checked_at: now.getTime() })
      .onConflict((oc) => oc.column('id').doUpdateSet({ checked_at: now.getTime() }))
      .execute();
    return 'ok';
  } catch (error) {
    return `database not writable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Nextcloud's state as the breaker keeps it, in the database: not asked when the database has just
 * failed (the same failure would only come again, or a 500 instead of the 503), and `unknown: …`
 * when the read fails all the same.
 */
async function nextcloudState(status: () => Promise<string>, database: string): Promise<string> {
  if (database !== 'ok') return 'unknown: kept in the database, which fails';
  try {
    return await status();
  } catch (error) {
    return `unknown: ${error instanceof Error ? error.message : String(error)}`;
  }
}
