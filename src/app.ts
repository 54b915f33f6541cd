import { randomUUID } from 'node:crypto';
import { allJobTypes } from './job-kinds.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { conversationSettings } from './conversation/settings.ts';
import type { Db } from './db/database.ts';
import { discardRest } from './http/discard-body.ts';
import { errorHandler, HttpError } from './http-error.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { nextcloudBreaker } from './reports/nextcloud-breaker.ts';
import { adminRoutes } from './routes/admin.ts';
import { docsRoutes } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { telegramUpdateRoute } from './routes/telegram-update.ts';

export interface AppDeps {
  readonly db: Db;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** Wakes the job worker after an update was recorded (its jobs should leave at once). */
  readonly wakeWorker?: () => void;
  /** The SAV assistant's state, shown by /readyz. */
  readonly assistantStatus?: () => string;
  /** Shared with the worker, whose hooks feed it; the app makes its own when absent. */
  readonly metrics?: Metrics;
}

/** The gateway may send Updates with large captions, never megabytes: refuse beyond 1 MB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(config: Config, deps: AppDeps) {
  const clock = deps.clock ?? (() => new Date());
  const wakeWorker = deps.wakeWorker ?? (() => undefined);
  const metrics = deps.metrics ?? createMetrics({ db: deps.db, clock, jobTypes: allJobTypes });
  const breaker = nextcloudBreaker(config, deps.db, clock);
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request, written below, instead of Fastify's two: at info level each update's
    // lines were a third of its CPU time (bench/README.md).
    // (Through a LogController: Fastify 5 deprecates the top-level option, FSTDEP023.)
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Keep a caller's request id (gateway, curl) when it looks like one, so logs can be joined.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Fastify parses text/plain by default; every body we take is JSON, so any other type gets the
  // documented 415 (openapi.yaml) rather than a 400 about the Update's shape.
  app.removeContentTypeParser('text/plain');

  // Every route served, as registered: the OpenAPI test compares them with the spec.
  const servedRoutes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) servedRoutes.push({ method, url: route.url });
  });
  app.decorate('servedRoutes', servedRoutes);
  app.decorate('metrics', metrics);

  app.decorateRequest('logFields', undefined);
  if (deps.logger.isLevelEnabled('debug')) {
    app.addHook('onRequest', async (request) => {
      request.log.debug({ req: request }, 'incoming request');
    });
  }
  app.addHook('onResponse', async (request, reply) => {
    // Labelled by the route's pattern (`/admin/reports/:id`), never the raw URL with its ids.
    metrics.httpResponse(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime);
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
        ...request.logFields,
      },
      'request completed',
    );
  });

  // A refused body is read to its end (bounded) before the 413 goes: closing while the client
  // still sends makes it see a broken pipe instead of our answer (src/http/discard-body.ts).
  // Fastify asks to close after a body it could not parse; once the body is read, no need.
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode === 413 && (await discardRest(request.raw))) reply.removeHeader('connection');
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request) => {
    throw new HttpError(404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
  });

  await app.register(healthRoutes, {
    db: deps.db,
    clock,
    ...(deps.assistantStatus ? { assistantStatus: deps.assistantStatus } : {}),
    ...(breaker ? { nextcloudStatus: async () => breaker.state() } : {}),
  });
  await app.register(telegramUpdateRoute, {
    db: deps.db,
    bots: config.bots,
    clock,
    settings: conversationSettings(config),
    onRecorded: wakeWorker,
    onCounted: (kind, outcome) => {
      metrics.updateReceived(kind, outcome);
    },
  });
  await app.register(adminRoutes, {
    prefix: '/admin',
    db: deps.db,
    adminToken: config.adminToken,
    reportTimezone: config.reportTimezone,
    clock,
    wakeWorker,
    assistantEnabled: config.assistant.enabled,
    nextcloudBreaker: breaker,
  });
  await app.register(metricsRoute, {
    metrics,
    requiredToken: config.metricsRequireToken ? config.adminToken : undefined,
  });
  await app.register(docsRoutes);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

declare module 'fastify' {
  interface FastifyRequest {
    /** What a route adds to the request's one completion line (an update's id and outcome). */
    logFields: Record<string, unknown> | undefined;
  }
  interface FastifyInstance {
    /** The routes this instance serves (method, URL), in registration order. */
    servedRoutes: readonly { method: string; url: string }[];
    /** This instance's metrics (the worker's hooks feed the same object when it is shared). */
    metrics: Metrics;
  }
}
