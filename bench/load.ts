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
  const warm = await warmUp(options, warmUpSeconds);
  return combineRuns(warm, [await measureOnce(options)], options.durationSeconds);
}

/** Unmeasured load, to warm a server up; its errors still count against the run. */
export async function warmUp(options: LoadOptions, seconds: number): Promise<LoadResult> {
  return summarise(await postUpdates(options, seconds));
}

/** One measured run of `options.durationSeconds`. */
export async function measureOnce(options: LoadOptions): Promise<LoadResult> {
  return summarise(await postUpdates(options, options.durationSeconds));
}

/**
 * Runs of one server (warm-up first, then measured rounds) as one result: req/s over the rounds'
 * total time, the median round's latencies, every error of every run.
 */
export function combineRuns(
  warm: LoadResult,
  rounds: readonly LoadResult[],
  roundSeconds: number,
): LoadResult {
  const total = rounds.reduce((sum, round) => sum + round.totalRequests, 0);
  return {
    requestsPerSecond: total / (roundSeconds * rounds.length),
    totalRequests: total,
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, warm.non2xx),
    errors: rounds.reduce((sum, round) => sum + round.errors, warm.errors),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
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
