import type { Kysely, Transaction } from 'kysely';
import Value from 'typebox/value';
import type { Database } from '../db/schema.ts';
import type { JobKind, PayloadOf } from './job-kind.ts';

export interface NewJob<K extends JobKind> {
  /** Unique per logical side effect: enqueuing the same key twice is a no-op. */
  readonly idempotencyKey: string;
  readonly payload: PayloadOf<K>;
  readonly runAt?: Date;
}

/** A payload that does not match its job kind's schema: a bug, so the whole transaction fails. */
export class InvalidJobPayloadError extends Error {
  constructor(type: string, problems: string) {
    super(`invalid payload for job ${type}: ${problems}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/** Records a job of `kind` inside the caller's transaction; false when its key was already enqueued. */
export async function enqueue<K extends JobKind>(
  trx: Transaction<Database> | Kysely<Database>,
  kind: K,
  job: NewJob<K>,
  now: Date,
): Promise<boolean> {
  if (!Value.Check(kind.schema, job.payload)) {
    const problems = Value.Errors(kind.schema, job.payload)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new InvalidJobPayloadError(kind.type, problems);
  }
  const at = now.getTime();
  const result = await trx
    .insertInto('jobs')
    .values({
      type: kind.type,
      idempotency_key: job.idempotencyKey,
      payload: JSON.stringify(job.payload),
      state: 'pending',
      priority: kind.priority,
      run_at: job.runAt?.getTime() ?? at,
      attempts: 0,
      max_attempts: kind.maxAttempts,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
