import autocannon, { type AutocannonResult } from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly headers: Record<string, string>;
  /** The body of each request; called once per request. */
  readonly body: () => string;
}

/** What one measured run yields; latencies in milliseconds. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly totalRequests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Connection errors and time-outs. */
  readonly errors: number;
}

/** `POST /telegram/update` at full speed for the given duration, after a short unmeasured warm-up. */
export async function measure(options: LoadOptions, warmUpSeconds: number): Promise<LoadResult> {
  const warmUp = summarise(await postUpdates(options, warmUpSeconds));
  const measured = summarise(await postUpdates(options, options.durationSeconds));
  // Errors during warm-up invalidate the run as much as errors during the measure.
  return { ...measured, non2xx: measured.non2xx + warmUp.non2xx, errors: measured.errors + warmUp.errors };
}

function postUpdates(options: LoadOptions, durationSeconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'POST',
        path: '/telegram/update',
        headers: options.headers,
        // A fresh body per request: the service answers a repeated update_id as a duplicate.
        setupRequest: (request) => ({ ...request, body: options.body() }),
      },
    ],
  });
}

function summarise(result: AutocannonResult): LoadResult {
  return {
    requestsPerSecond: result.requests.mean,
    totalRequests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
