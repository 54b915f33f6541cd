import { describe, expect, it } from 'vitest';
import { combineRuns, type LoadResult } from '../../bench/load.ts';
import { formatFloor, formatRoundRatios } from '../../bench/report.ts';

const run = (totalRequests: number, p99Ms: number, errors = 0): LoadResult => ({
  requestsPerSecond: totalRequests / 2,
  totalRequests,
  p50Ms: p99Ms / 4,
  p99Ms,
  non2xx: 0,
  errors,
});

describe('make bench rounds', () => {
  it('gives req/s over the rounds’ whole time, the median round’s latencies, and every error', () => {
    const combined = combineRuns(run(100, 1, 1), [run(2000, 9), run(3000, 40), run(1000, 12, 2)], 2);
    expect(combined).toEqual({
      requestsPerSecond: 1000,
      totalRequests: 6000,
      p50Ms: 3,
      p99Ms: 12,
      non2xx: 0,
      errors: 3,
    });
  });

  it('prints the req/s ratio of each round', () => {
    expect(formatRoundRatios([run(500, 1), run(600, 1)], [run(2000, 1), run(2000, 1)])).toBe(
      'service/bare req/s per round: 0.25 0.30',
    );
  });

  it('prints the floor’s share of the bare server and the service’s share of the floor', () => {
    const named = (name: string, totalRequests: number) => ({
      name,
      peakRssKiB: undefined,
      ...run(totalRequests, 1),
    });
    expect(formatFloor(named('floor', 1200), named('service', 600), named('bare', 2000))).toBe(
      'sqlite floor/bare req/s: 0.60   service/floor req/s: 0.50',
    );
  });
});
