import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface NewJob {
  readonly type: string;
  /** Unique per logical side effect: enqueuing the same key twice is a no-op. */
  readonly idempotencyKey: string;
  readonly payload: unknown;
  readonly runAt?: Date;
  /** Higher runs first: a button answer must not wait behind photo uploads. */
  readonly priority?: number;
  readonly maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/** Records a job inside the caller's transaction; false when its key was already enqueued. */
export async function enqueue(
  trx: Transaction<Database> | Kysely<Database>,
  job: NewJob,
  now: Date,
): Promise<boolean> {
  const at = now.getTime();
  const result = await trx
    .insertInto('jobs')
    .values({
      type: job.type,
      idempotency_key: job.idempotencyKey,
      payload: JSON.stringify(job.payload),
      state: 'pending',
      priority: job.priority ?? 0,
      run_at: job.runAt?.getTime() ?? at,
      attempts: 0,
      max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
