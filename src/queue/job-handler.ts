import type { Logger } from 'pino';
import type { JobState } from '../db/schema.ts';
import type { JobKind, JobKinds, PayloadOf } from './job-kind.ts';
import type { JobRow } from './job-store.ts';

/** How a job this one waited on ended. */
export interface DependencyOutcome {
  readonly type: string;
  readonly state: JobState;
  readonly idempotencyKey: string;
  /** Why it died (or last failed): null when it ended without error. */
  readonly lastError: string | null;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly job: JobRow;
  /** When this run started: one time for the whole run's records. */
  readonly now: Date;
  /**
   * The worker's clock, read anew at each call: for what must date from a moment within the run
   * (a remote's answer after several calls), not from its start.
   */
  readonly clock: () => Date;
  readonly log: Logger;
  /** Aborted when the worker stops or this run lost its lock: stop before the next remote call. */
  readonly signal: AbortSignal;
  /** The steps an earlier run of this job recorded as delivered (as saved), if any. */
  progress(): unknown;
  /**
   * Records the steps delivered so far, before the next one, so a retry resumes after them.
   * Throws (and the step must not go out) when this run no longer holds the job or must stop.
   */
  saveProgress(progress: unknown): Promise<void>;
  /** How each job this one waited on (`after` at enqueue) ended. */
  dependencies(): Promise<DependencyOutcome[]>;
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

/** This run no longer holds its job (the lock expired and was taken, or it was released). */
export class LostLockError extends Error {
  constructor(jobId: number) {
    super(`job ${jobId} is no longer held by this run`);
    this.name = 'LostLockError';
  }
}

/** The worker is stopping: the job is handed back, to run again after the restart. */
export class WorkerStoppingError extends Error {
  constructor() {
    super('the worker is stopping');
    this.name = 'WorkerStoppingError';
  }
}
