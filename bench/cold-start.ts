import { type ChildServerOptions, startChildServer } from './child-server.ts';

/** How often the ready path is polled while timing a start: the resolution of the figure. */
const POLL_INTERVAL_MS = 5;

/**
 * Cold start: from spawning `node` to the first 2xx of the ready path, the median of `runs` starts
 * (the first of a service also creates its database; later ones open it, as a restart does).
 */
export async function measureColdStart(options: ChildServerOptions, runs = 3): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const server = await startChildServer({ ...options, readyIntervalMs: POLL_INTERVAL_MS });
    times.push(performance.now() - started);
    await server.stop();
  }
  return median(times);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
