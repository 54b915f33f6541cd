import type { Kysely, Transaction } from 'kysely';
import Value from 'typebox/value';
import type { Database } from '../db/schema.ts';
import { type JobPayload, type JobType, jobCatalog } from './job-catalog.ts';
import { notifyEnqueued } from './job-notifications.ts';

export interface NewJob<T extends JobType = JobType> {
  readonly type: T;
  /** Unique per logical side effect: enqueuing the same key twice is a no-op. */
  readonly idempotencyKey: string;
  readonly payload: JobPayload<T>;
  readonly runAt?: Date;
}

/** A payload that does not match its job type's schema: a bug, so the whole transaction fails. */
export class InvalidJobPayloadError extends Error {
  constructor(type: string, problems: string) {
    super(`invalid payload for job ${type}: ${problems}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/** Records a job inside the caller's transaction; false when its key was already enqueued. */
export async function enqueue<T extends JobType>(
  trx: Transaction<Database> | Kysely<Database>,
  job: NewJob<T>,
  now: Date,
): Promise<boolean> {
  const spec = jobCatalog[job.type];
  if (!Value.Check(spec.schema, job.payload)) {
    const problems = Value.Errors(spec.schema, job.payload)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new InvalidJobPayloadError(job.type, problems);
  }
  const at = now.getTime();
  const result = await trx
    .insertInto('jobs')
    .values({
      type: job.type,
      idempotency_key: job.idempotencyKey,
      payload: JSON.stringify(job.payload),
      state: 'pending',
      priority: spec.priority,
      run_at: job.runAt?.getTime() ?? at,
      attempts: 0,
      max_attempts: spec.maxAttempts,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  if (inserted) await notifyEnqueued(trx);
  return inserted;
}
