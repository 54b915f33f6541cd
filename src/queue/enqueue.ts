import type { Kysely, Transaction } from 'kysely';
import { Compile, type Validator } from 'typebox/compile';
import { compiledOnce } from '../db/compiled-query.ts';
import type { Database } from '../db/schema.ts';
import type { JobKind, PayloadOf } from './job-kind.ts';
import { notifyEnqueued } from './job-notifications.ts';

export interface NewJob<K extends JobKind> {
  /** Unique per logical side effect: enqueuing the same key twice is a no-op. */
  readonly idempotencyKey: string;
  readonly payload: PayloadOf<K>;
  readonly runAt?: Date;
  /**
   * Idempotency keys of jobs this one waits for: it runs once each has ended, done or dead (its
   * handler reads how with `dependencies()`). Keys of jobs that do not exist are not waited for.
   */
  readonly after?: readonly string[];
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
  const payloadCheck = checkerOf(kind);
  if (!payloadCheck.Check(job.payload)) {
    const problems = payloadCheck
      .Errors(job.payload)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new InvalidJobPayloadError(kind.type, problems);
  }
  const at = now.getTime();
  const [result] = (
    await insertJob(trx, {
      type: kind.type,
      idempotencyKey: job.idempotencyKey,
      payload: JSON.stringify(job.payload),
      priority: kind.priority,
      runAt: job.runAt?.getTime() ?? at,
      maxAttempts: kind.maxAttempts,
      at,
    })
  ).rows;
  if (!result) return false;
  if (job.after && job.after.length > 0) await waitFor(trx, result.id, job.after);
  await notifyEnqueued(trx);
  return true;
}

/** Every update enqueues: compiled once (src/db/compiled-query.ts). */
const insertJob = compiledOnce(
  (
    db,
    job: {
      type: string;
      idempotencyKey: string;
      payload: string;
      priority: number;
      runAt: number;
      maxAttempts: number;
      at: number;
    },
  ) =>
    db
      .insertInto('jobs')
      .values({
        type: job.type,
        idempotency_key: job.idempotencyKey,
        payload: job.payload,
        state: 'pending',
        priority: job.priority,
        run_at: job.runAt,
        attempts: 0,
        max_attempts: job.maxAttempts,
        created_at: job.at,
        updated_at: job.at,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id'),
);

const checkers = new WeakMap<JobKind, Validator>();

/**
 * The kind's payload check, compiled to a function at its first enqueue: every update enqueues,
 * and interpreting the schema at each call (`Value.Check`) was a tenth of the time per update.
 */
function checkerOf(kind: JobKind): Validator {
  let checker = checkers.get(kind);
  if (!checker) {
    checker = Compile(kind.schema);
    checkers.set(kind, checker);
  }
  return checker;
}

async function waitFor(
  trx: Transaction<Database> | Kysely<Database>,
  jobId: number,
  keys: readonly string[],
) {
  const dependencies = await trx
    .selectFrom('jobs')
    .select(['id', 'state'])
    .where('idempotency_key', 'in', keys)
    .execute();
  if (dependencies.length === 0) return;
  await trx
    .insertInto('job_dependencies')
    .values(dependencies.map((dependency) => ({ job_id: jobId, depends_on: dependency.id })))
    .execute();
  const unfinished = dependencies.filter((d) => d.state === 'pending' || d.state === 'running').length;
  await trx.updateTable('jobs').set({ waiting_for: unfinished }).where('id', '=', jobId).execute();
}
