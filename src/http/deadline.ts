/** Why a call was aborted: no answer within its time limit. */
export class DeadlineExceededError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * An abort signal that fires after `timeoutMs`. undici checks its own headers/body timeouts on
 * a coarse clock (about 1 s), so a short timeout would fire late; a plain timer keeps
 * `timeoutMs` meaning what it says. Call `clear` once the call has ended.
 */
export function startDeadline(timeoutMs: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DeadlineExceededError(timeoutMs));
  }, timeoutMs);
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
    },
  };
}
