import type { Kysely, Transaction } from 'kysely';
import { Compile, type Validator } from 'typebox/compile';
import { compiledOnce } from '../db/compiled-query.ts';
import { isPostgres } from '../db/dialect.ts';
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
  if (job.after) await waitFor(trx, result.id, job.after);
  await notifyEnqueued(trx);
  return true;
}

/**
 * Makes a job that still waits (on a job now running, say) wait for `keys` too: work enqueued after
 * it, such as the uploads its predecessor planned. Keys already waited for are not counted twice.
 * False when the job no longer waits (it may be running or ended): too late to hold it back.
 */
export async function waitAlsoFor(
  trx: Transaction<Database>,
  idempotencyKey: string,
  keys: readonly string[],
): Promise<boolean> {
  let query = trx
    .selectFrom('jobs')
    .select(['id', 'state', 'waiting_for'])
    .where('idempotency_key', '=', idempotencyKey);
  if (isPostgres(trx)) query = query.forUpdate();
  const job = await query.executeTakeFirst();
  if (!job || job.state !== 'pending' || job.waiting_for === 0) return false;
  await waitFor(trx, job.id, keys);
  return true;
}

/**
 * Makes a pending job stop waiting for the jobs named by `keys` (they go on as they are): it then
 * runs once its other dependencies have ended. For a job that no longer needs one of them, such
 * as a milestone whose step happened another way. False when the job is not pending (it may
 * already be running): it was left as it was.
 */
export async function stopWaitingFor(
  trx: Transaction<Database>,
  idempotencyKey: string,
  keys: readonly string[],
): Promise<boolean> {
  let jobQuery = trx.selectFrom('jobs').select(['id', 'state']).where('idempotency_key', '=', idempotencyKey);
  if (isPostgres(trx)) jobQuery = jobQuery.forUpdate();
  const job = await jobQuery.executeTakeFirst();
  if (job?.state !== 'pending') return false;
  if (keys.length === 0) return true;
  // Locked as in waitFor: a dependency that ends meanwhile counts itself down before or after.
  let query = trx.selectFrom('jobs').select(['id', 'state']).where('idempotency_key', 'in', keys);
  if (isPostgres(trx)) query = query.forUpdate();
  const dependencies = await query.execute();
  if (dependencies.length === 0) return true;
  const dropped = await trx
    .deleteFrom('job_dependencies')
    .where('job_id', '=', job.id)
    .where(
      'depends_on',
      'in',
      dependencies.map((d) => d.id),
    )
    .returning('depends_on')
    .execute();
  const unfinished = new Set(
    dependencies.filter((d) => d.state === 'pending' || d.state === 'running').map((d) => d.id),
  );
  const released = dropped.filter((edge) => unfinished.has(edge.depends_on)).length;
  if (released > 0) {
    await trx
      .updateTable('jobs')
      .set((eb) => ({ waiting_for: eb('waiting_for', '-', released) }))
      .where('id', '=', job.id)
      .execute();
  }
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
  // `in ()` is valid SQLite but a syntax error on PostgreSQL.
  if (keys.length === 0) return;
  const known = await trx
    .selectFrom('job_dependencies')
    .select('depends_on')
    .where('job_id', '=', jobId)
    .execute();
  const waited = new Set(known.map((row) => row.depends_on));
  let query = trx.selectFrom('jobs').select(['id', 'state']).where('idempotency_key', 'in', keys);
  // Locked until this transaction ends: a replica finishing one of them meanwhile waits, then
  // sees the new dependency row and counts it down (https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-ROWS).
  if (isPostgres(trx)) query = query.forUpdate();
  const dependencies = (await query.execute()).filter((d) => !waited.has(d.id));
  if (dependencies.length === 0) return;
  await trx
    .insertInto('job_dependencies')
    .values(dependencies.map((dependency) => ({ job_id: jobId, depends_on: dependency.id })))
    .execute();
  const unfinished = dependencies.filter((d) => d.state === 'pending' || d.state === 'running').length;
  await trx
    .updateTable('jobs')
    .set((eb) => ({ waiting_for: eb('waiting_for', '+', unfinished) }))
    .where('id', '=', jobId)
    .execute();
}
