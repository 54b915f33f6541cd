/**
 * What to do with a job whose handler threw. Each remote's client classifies its own errors
 * into one of these (one function per remote); the worker only applies the decision.
 */
export type FailureDecision =
  /** Try again later: after `delayMs` when the remote said so (429 retry_after), else backoff. */
  | { readonly action: 'retry'; readonly reason: string; readonly delayMs?: number }
  /**
   * Not now, and not a failure (an outgoing rate limit): run again later without using an attempt;
   * with `afterJob`, once that job has ended rather than after `delayMs`.
   */
  | {
      readonly action: 'postpone';
      readonly reason: string;
      readonly delayMs: number;
      readonly afterJob?: number;
    }
  /** Retrying cannot help (403 bot blocked, 400 chat not found…): the job is dead now, surfaced. */
  | { readonly action: 'fail'; readonly reason: string }
  /** The remote says the effect already holds ("message is not modified"): the job is done. */
  | { readonly action: 'done'; readonly reason: string };

/**
 * A throw no remote's policy recognises (a bug, a library's own error): retried with backoff, and
 * named in the reason so a job that dies of it says what happened and where.
 */
export function retryUnexpected(error: unknown, where: string): FailureDecision {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { action: 'retry', reason: `unexpected ${name} ${where}: ${message}` };
}
