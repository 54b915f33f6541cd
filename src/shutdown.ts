import type { Logger } from 'pino';

export interface ShutdownParts {
  /** The HTTP server: `close` stops accepting and resolves when in-flight requests are done. */
  readonly app: { close(): PromiseLike<unknown> };
  /** Closed in order once the server has stopped (worker, then database). */
  readonly closeAfterServer: ReadonlyArray<() => Promise<void>>;
  readonly graceMs: number;
  readonly logger: Logger;
  readonly exit: (code: number) => void;
}

/**
 * Stops accepting connections, lets in-flight requests finish, closes what the server used,
 * and exits; exits with 1 if that takes longer than the grace period. Idempotent.
 */
export function createShutdown(parts: ShutdownParts): (reason: string, exitCode?: number) => Promise<void> {
  let running: Promise<void> | undefined;
  return (reason, exitCode = 0) => {
    running ??= run(parts, reason, exitCode);
    return running;
  };
}

/** `exitCode` is the code of a clean stop: 1 when something forced it (the worker halted). */
async function run(parts: ShutdownParts, reason: string, exitCode: number): Promise<void> {
  parts.logger.info({ reason, graceMs: parts.graceMs }, 'shutting down');
  const deadline = setTimeout(() => {
    parts.logger.error({ graceMs: parts.graceMs }, 'shutdown exceeded its grace period; exiting now');
    parts.exit(1);
  }, parts.graceMs);
  deadline.unref();
  try {
    await parts.app.close();
    for (const close of parts.closeAfterServer) await close();
    parts.logger.info('stopped');
    parts.exit(exitCode);
  } catch (error) {
    parts.logger.error({ err: error }, 'shutdown failed');
    parts.exit(1);
  } finally {
    clearTimeout(deadline);
  }
}
