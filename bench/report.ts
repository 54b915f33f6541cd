import type { TextTiming } from './adversarial-texts.ts';
import type { LoadResult } from './load.ts';

/** How many starts of each server the cold-start figure is the median of. */
export const COLD_STARTS = 3;

export interface ServerResult extends LoadResult {
  readonly name: string;
  readonly peakRssKiB: number | undefined;
}

/**
 * Service over baseline: below 1 for req/s and above 1 for p99 is the price of the service's work.
 * Undefined when the baseline value is 0 (autocannon's latencies have a 1 ms resolution).
 */
export interface Ratios {
  readonly requestsPerSecond: number | undefined;
  readonly p99: number | undefined;
  readonly peakRss: number | undefined;
}

export function ratios(service: ServerResult, bare: ServerResult): Ratios {
  return {
    requestsPerSecond: quotient(service.requestsPerSecond, bare.requestsPerSecond),
    p99: quotient(service.p99Ms, bare.p99Ms),
    peakRss: quotient(service.peakRssKiB ?? 0, bare.peakRssKiB ?? 0),
  };
}

const quotient = (numerator: number, denominator: number) =>
  denominator > 0 ? numerator / denominator : undefined;

const formatRatio = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(2));

/** The req/s ratio of each round: how far the machine moved the figure during the run. */
export function formatRoundRatios(service: readonly LoadResult[], bare: readonly LoadResult[]): string {
  const each = service.map((round, index) =>
    formatRatio(quotient(round.requestsPerSecond, bare[index]!.requestsPerSecond)),
  );
  return `service/bare req/s per round: ${each.join(' ')}`;
}

/**
 * The floor's share of the bare server's req/s (the most the service could reach here with its
 * durable writes) and the service's share of the floor's (what its own code leaves of it).
 */
export function formatFloor(floor: ServerResult, service: ServerResult, bare: ServerResult): string {
  const floorShare = formatRatio(quotient(floor.requestsPerSecond, bare.requestsPerSecond));
  const serviceShare = formatRatio(quotient(service.requestsPerSecond, floor.requestsPerSecond));
  return `sqlite floor/bare req/s: ${floorShare}   service/floor req/s: ${serviceShare}`;
}

/** A fixed-width table, one row per server, then the ratios. */
export function formatReport(results: readonly ServerResult[], ratio: Ratios): string {
  const header = ['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'peak RSS MiB'];
  const rows = results.map((result) => [
    result.name,
    result.requestsPerSecond.toFixed(0),
    result.p50Ms.toFixed(1),
    result.p99Ms.toFixed(1),
    String(result.totalRequests),
    String(result.non2xx),
    String(result.errors),
    result.peakRssKiB === undefined ? 'n/a' : (result.peakRssKiB / 1024).toFixed(1),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `service/bare req/s: ${formatRatio(ratio.requestsPerSecond)}   p99: ${formatRatio(ratio.p99)}   peak RSS: ${formatRatio(ratio.peakRss)}`,
  ].join('\n');
}

/** Cold starts (median, ms) and the slowest text function on 1 MB of adversarial input. */
export function formatStartAndText(
  coldStartMs: { readonly bare: number; readonly service: number },
  slowestText: TextTiming,
): string {
  return [
    `cold start, node to /healthz 200 (median of ${COLD_STARTS}): bare fastify ${coldStartMs.bare.toFixed(0)} ms, etm-terrain ${coldStartMs.service.toFixed(0)} ms (${formatRatio(quotient(coldStartMs.service, coldStartMs.bare))}×)`,
    `worst text handling on 1 MB: ${slowestText.function} on ${JSON.stringify(slowestText.text)} ${slowestText.milliseconds.toFixed(0)} ms`,
  ].join('\n');
}

/** Why the run cannot be trusted, or nothing. */
export function failures(results: readonly ServerResult[]): string[] {
  return results.flatMap((result) => [
    ...(result.non2xx > 0 ? [`${result.name}: ${result.non2xx} non-2xx answers`] : []),
    ...(result.errors > 0 ? [`${result.name}: ${result.errors} connection errors or time-outs`] : []),
  ]);
}
