/**
 * Thrown by a handler that is not ready to run yet (an album still receiving photos, an
 * outgoing rate limit): the job runs again after `delayMs` without using an attempt.
 */
export class PostponeError extends Error {
  readonly delayMs: number;
  constructor(delayMs: number, reason: string) {
    super(reason);
    this.name = 'PostponeError';
    this.delayMs = delayMs;
  }
}

/**
 * Thrown by a handler whose effect must follow another job's (the message ahead of it in its
 * chat, src/telegram/telegram-handlers.ts): the job waits until that job has ended, done or dead,
 * as if enqueued `after` it (src/queue/job-store.ts), without using an attempt; no polling, and at
 * once again if that job has already ended.
 */
export class WaitForJobError extends PostponeError {
  readonly jobId: number;
  constructor(jobId: number, reason: string) {
    super(0, reason);
    this.name = 'WaitForJobError';
    this.jobId = jobId;
  }
}

/** Deeper than any wrapping of ours (a source error around a guarded call); stops a cycle too. */
const MAX_CAUSE_DEPTH = 8;

/**
 * The PostponeError in `error` or in its chain of causes, if any. A layer may wrap what it calls
 * (the knowledge source around the Nextcloud breaker's postponement, src/assistant/knowledge-source.ts),
 * and the wrapped postponement is still a "not yet", not a failure that uses an attempt. The walk
 * is bounded: a cause chain may loop.
 */
export function postponementIn(error: unknown): PostponeError | undefined {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof PostponeError) return current;
    current = current.cause;
  }
  return undefined;
}
