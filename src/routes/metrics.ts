import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bearerGuard } from '../admin/bearer-auth.ts';
import type { Metrics } from '../metrics/metrics.ts';

export interface MetricsRouteOptions {
  readonly metrics: Metrics;
  /** Set when `METRICS_REQUIRE_TOKEN` is on: scrapes must carry `Authorization: Bearer <ADMIN_TOKEN>`. */
  readonly requiredToken: string | undefined;
}

/** Prometheus' scrape target: the text exposition format. */
export const metricsRoute: FastifyPluginAsyncTypebox<MetricsRouteOptions> = async (app, options) => {
  const guard = options.requiredToken === undefined ? {} : { onRequest: bearerGuard(options.requiredToken) };
  app.get('/metrics', guard, async (_request, reply) =>
    reply.type(options.metrics.contentType).send(await options.metrics.exposition()),
  );
};
