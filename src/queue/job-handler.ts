import type { Logger } from 'pino';
import type { JobKind, JobKinds, PayloadOf } from './job-kind.ts';
import type { JobRow } from './job-store.ts';

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly job: JobRow;
  readonly now: Date;
  readonly log: Logger;
}

export type JobHandler<P = unknown> = (payload: P, context: JobContext) => Promise<void>;

/** A handler with the kind it runs: the worker claims only the kinds it has a handler for. */
export interface RegisteredHandler {
  readonly kind: JobKind;
  readonly run: JobHandler;
}

export type HandlerSet = Readonly<Record<string, RegisteredHandler>>;

/**
 * Binds a feature's handlers to its job kinds: each handler receives its kind's payload type.
 * The payload was checked against that schema at enqueue, so the worker hands it over as is.
 */
export function defineHandlers<K extends JobKinds>(
  kinds: K,
  handlers: { readonly [T in keyof K]: JobHandler<PayloadOf<K[T]>> },
): HandlerSet {
  const set: Record<string, RegisteredHandler> = {};
  for (const [type, kind] of Object.entries(kinds)) {
    set[type] = { kind, run: handlers[type] as JobHandler };
  }
  return set;
}
