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
