/**
 * The part of autocannon 9's programmatic API that the benchmark uses (from its README):
 * the package ships no types and @types/autocannon is not a dependency.
 */
declare module 'autocannon' {
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before every request; the returned request is the one sent. */
    setupRequest?: (request: AutocannonRequest, context: object) => AutocannonRequest;
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    requests?: AutocannonRequest[];
  }

  /** Latency percentiles in milliseconds (hdr-histogram-percentiles-obj). */
  export interface Histogram {
    mean: number;
    p50: number;
    p99: number;
    max: number;
  }

  export interface AutocannonResult {
    /** Requests completed per one-second sample. */
    requests: Histogram & { total: number };
    latency: Histogram;
    non2xx: number;
    errors: number;
    timeouts: number;
  }

  export default function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
}
