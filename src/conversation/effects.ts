import type { JobPayload, JobType } from '../queue/job-catalog.ts';

/**
 * A side effect the conversation asks for. The dispatcher turns each into a durable job in the
 * same transaction as the state change; `key` makes the job's idempotency key unique within
 * the update that caused it.
 */
export type Effect = {
  [T in JobType]: { readonly job: T; readonly key: string; readonly payload: JobPayload<T> };
}[JobType];
