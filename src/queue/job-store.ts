import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ExpressionBuilder, Selectable, Transaction, UpdateQueryBuilder, UpdateResult } from 'kysely';
import { lockForTransaction } from '../db/cluster-lock.ts';
import type { Db } from '../db/database.ts';
import { isPostgres } from '../db/dialect.ts';
import type { Database, JobsTable, JobState } from '../db/schema.ts';
import { backoffDelayMs } from './backoff.ts';
import type { FailureDecision } from './failure.ts';
import { type DependencyOutcome, LostLockError } from './job-handler.ts';

/**
 * The durable job table's life cycle: pending → running (claimed, attempt counted) → done | dead,
 * or back to pending for a retry. Each claim gets its own token: only the run holding it may renew
 * the lock, record progress or finish the job, so a run whose lock expired (and was claimed again)
 * can no longer touch the row. A job may wait on others: it becomes claimable in the transaction
 * that ends (done or dead) the last of them. Times are Unix ms from the caller's clock.
 *
 * All of the engine's SQL lives in this file, in Kysely, the same for SQLite and PostgreSQL.
 */

export type JobRow = Selectable<JobsTable>;

export interface ClaimOptions {
  readonly workerId: string;
  readonly now: Date;
  readonly lockMs: number;
  /** Only these types are claimed: jobs of a remote that is not configured wait, untouched. */
  readonly types: readonly string[];
  /** Jobs this worker is running: never claimed a second time, even if their lock expired. */
  readonly exclude?: readonly number[];
}

/**
 * Takes the most urgent runnable job (priority, then run_at) and locks it under a new token, in
 * one statement: `UPDATE jobs … WHERE id = (SELECT id … LIMIT 1) RETURNING *`. On PostgreSQL the
 * inner select takes its row `FOR UPDATE SKIP LOCKED`, so replicas claiming at the same moment each
 * take a different row instead of waiting for, then repeating, another's claim
 * (https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE), holding the claims
 * lock in shared mode meanwhile (`claimsSettled`). SQLite has no row locks and needs none: its one
 * writer runs the statement alone.
 */
export async function claimNextJob(db: Db, options: ClaimOptions): Promise<JobRow | undefined> {
  if (options.types.length === 0) return undefined;
  const now = options.now.getTime();
  const exclude = options.exclude ?? [];
  await buryAbandonedLastAttempts(db, options.types, now);
  let next = db
    .selectFrom('jobs as next')
    .select('next.id')
    .where('next.type', 'in', options.types)
    .where('next.run_at', '<=', now)
    .where('next.waiting_for', '=', 0)
    .where(claimable(now))
    .orderBy('next.priority', 'desc')
    .orderBy('next.run_at')
    .orderBy('next.id')
    .limit(1);
  if (exclude.length > 0) next = next.where('next.id', 'not in', exclude);
  if (isPostgres(db)) next = next.where(holdingClaimsLock).forUpdate().skipLocked();
  return db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: options.workerId,
      locked_until: now + options.lockMs,
      lock_token: randomUUID(),
      updated_at: now,
    }))
    .where('id', '=', next)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Every claim on PostgreSQL holds the claims lock in shared mode until it commits, taken before it
 * locks its row: an uncorrelated subquery, run once before the scan (an InitPlan, checked as a
 * one-time filter; https://www.postgresql.org/docs/15/using-explain.html). Claims do not wait on
 * one another for it; `claimsSettled` waits for those under way. Its own key space (two keys),
 * apart from the names of src/db/cluster-lock.ts.
 */
const holdingClaimsLock = sql<boolean>`(SELECT true FROM (SELECT pg_advisory_xact_lock_shared(hashtext('jobs'), hashtext('claims'))) AS claims_lock)`;

/**
 * Returns once every claim under way when it was called has committed, in any replica: a claim
 * that started before this job's own, and took an older job, is then seen running. On PostgreSQL
 * a claim is visible only when it commits, and another replica's may still be committing after
 * this job was claimed (it skipped that row, locked); the claims lock, taken and let go at once,
 * waits for it (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS). SQLite
 * runs one statement at a time: nothing is under way.
 */
export async function claimsSettled(db: Db): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`SELECT pg_advisory_xact_lock(hashtext('jobs'), hashtext('claims'))`.execute(db);
}

/**
 * A job whose holder died during its last attempt is dead, not claimed once more: the attempts
 * stay within the maximum even when workers keep dying (the dependents then run). Each is buried
 * with its dependents released in one transaction, and only by the replica whose update still
 * finds it running: two replicas never both release its dependents.
 */
async function buryAbandonedLastAttempts(db: Db, types: readonly string[], now: number) {
  const abandoned = await db
    .selectFrom('jobs')
    .select('id')
    .where('type', 'in', types)
    .where('state', '=', 'running')
    .where('locked_until', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .execute();
  for (const { id } of abandoned) {
    await db.transaction().execute(async (trx) => {
      const buried = await trx
        .updateTable('jobs')
        .set({
          state: 'dead',
          finished_at: now,
          updated_at: now,
          locked_by: null,
          locked_until: null,
          lock_token: null,
          lane: null,
          last_error: 'its worker stopped during the last attempt (lock expired)',
        })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_until', '<', now)
        .executeTakeFirst();
      if (buried.numUpdatedRows === 1n) await releaseDependents(trx, id, new Date(now));
    });
  }
}

/**
 * Pending, or running under a lock whose holder died (expired) with attempts left: one that died
 * on its last attempt is buried instead (buryAbandonedLastAttempts), even if it expired since.
 */
function claimable(now: number) {
  return (eb: ExpressionBuilder<Database & { next: JobsTable }, 'next'>) =>
    eb.or([
      eb('next.state', '=', 'pending'),
      eb.and([
        eb('next.state', '=', 'running'),
        eb('next.locked_until', '<', now),
        eb('next.attempts', '<', eb.ref('next.max_attempts')),
      ]),
    ]);
}

/** Extends the lock of a job this run holds (heartbeat); false when the run lost it. */
export async function renewLock(db: Db, job: JobRow, now: Date, lockMs: number): Promise<boolean> {
  const result = await heldBy(db.updateTable('jobs'), job)
    .set({ locked_until: now.getTime() + lockMs })
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Records the steps delivered so far, before the next one; false when the run lost its lock. */
export async function recordProgress(db: Db, job: JobRow, progress: unknown, now: Date): Promise<boolean> {
  const result = await heldBy(db.updateTable('jobs'), job)
    .set({ progress: JSON.stringify(progress), updated_at: now.getTime() })
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Marks the job done; false when this run no longer holds it (its lock expired and was taken). */
export async function completeJob(db: Db, job: JobRow, now: Date): Promise<boolean> {
  return finish(db, job, now, { state: 'done', finished_at: now.getTime(), last_error: null });
}

/** Applies the failure decision for a job this run holds. */
export async function failJob(
  db: Db,
  job: JobRow,
  decision: FailureDecision,
  now: Date,
  random: () => number = Math.random,
): Promise<boolean> {
  const at = now.getTime();
  // Times are whole ms: PostgreSQL's bigint refuses a fraction, and the worker would then stop.
  const later = (ms: number) => at + Math.ceil(ms);
  switch (decision.action) {
    case 'done':
      return finish(db, job, now, { state: 'done', finished_at: at, last_error: null });
    case 'fail':
      return finish(db, job, now, { state: 'dead', finished_at: at, last_error: decision.reason });
    case 'postpone':
      // Not ready (a rate limit, an album still filling, a job to let go first): give the attempt back.
      return finish(
        db,
        job,
        now,
        {
          state: 'pending',
          run_at: later(decision.delayMs),
          attempts: job.attempts - 1,
          last_error: job.last_error,
        },
        decision.afterJob,
      );
    case 'retry':
      if (job.attempts >= job.max_attempts) {
        return finish(db, job, now, {
          state: 'dead',
          finished_at: at,
          last_error: `${decision.reason} (after ${job.attempts} attempts)`,
        });
      }
      return finish(db, job, now, {
        state: 'pending',
        run_at: later(decision.delayMs ?? backoffDelayMs(job.attempts, random)),
        last_error: decision.reason,
      });
  }
}

/** Hands a job back untried (graceful stop): it runs again at once elsewhere or after restart. */
export async function releaseJob(db: Db, job: JobRow, now: Date): Promise<boolean> {
  return finish(db, job, now, {
    state: 'pending',
    run_at: now.getTime(),
    attempts: job.attempts - 1,
    last_error: job.last_error,
  });
}

interface Finish {
  state: JobState;
  finished_at?: number;
  run_at?: number;
  attempts?: number;
  last_error: string | null;
}

/**
 * Writes the outcome if this run still holds the job. When the job ended (done or dead), it
 * leaves its lane, and the jobs waiting on it count one less in the same transaction: the last to
 * end makes them runnable. With `afterJob` (a job pending again), it waits on that job too, if
 * that one has not ended.
 */
async function finish(db: Db, job: JobRow, now: Date, values: Finish, afterJob?: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const ended = values.state === 'done' || values.state === 'dead';
    // Read (and on PostgreSQL locked) before this job's row, as the ending of that job locks its
    // own row before its dependents': the same order, so the two never wait on each other. Either
    // it ended first and is seen ended, or it ends after this commit and counts this job down.
    const ahead = afterJob === undefined ? undefined : await unfinishedJob(trx, afterJob);
    const result = await heldBy(trx.updateTable('jobs'), job)
      .set({
        ...values,
        ...(ended ? { lane: null } : {}),
        locked_by: null,
        locked_until: null,
        lock_token: null,
        updated_at: now.getTime(),
      })
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    if (ended) await releaseDependents(trx, job.id, now);
    if (ahead !== undefined) await waitOn(trx, job.id, ahead);
    return true;
  });
}

/** `id` if that job has not ended (pending or running); on PostgreSQL its row stays locked. */
async function unfinishedJob(trx: Transaction<Database>, id: number): Promise<number | undefined> {
  let query = trx.selectFrom('jobs').select(['id', 'state']).where('id', '=', id);
  if (isPostgres(trx)) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && (row.state === 'pending' || row.state === 'running') ? row.id : undefined;
}

/**
 * Makes a job that was running (so it waited on nothing) wait on `dependsOn` as well. The edge may
 * already be there (that job was waited on before, ended, and an admin retried it): it counts
 * once more all the same, as that job's next end counts it down once.
 */
async function waitOn(trx: Transaction<Database>, jobId: number, dependsOn: number): Promise<void> {
  await trx
    .insertInto('job_dependencies')
    .values({ job_id: jobId, depends_on: dependsOn })
    .onConflict((oc) => oc.columns(['job_id', 'depends_on']).doNothing())
    .execute();
  await trx
    .updateTable('jobs')
    .set((eb) => ({ waiting_for: eb('waiting_for', '+', 1) }))
    .where('id', '=', jobId)
    .execute();
}

async function releaseDependents(trx: Transaction<Database>, jobId: number, now: Date): Promise<void> {
  await trx
    .updateTable('jobs')
    .set((eb) => ({ waiting_for: eb('waiting_for', '-', 1), updated_at: now.getTime() }))
    .where('waiting_for', '>', 0)
    .where('id', 'in', (eb) =>
      eb.selectFrom('job_dependencies').select('job_id').where('depends_on', '=', jobId),
    )
    .execute();
}

function heldBy<Q extends UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>>(
  query: Q,
  job: JobRow,
): Q {
  return query
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('lock_token', '=', job.lock_token ?? '') as Q;
}

/**
 * Lanes: jobs whose effects must follow each other in the order they were enqueued (their ids),
 * whatever postponements and retries come in between, in every worker of every replica, and each
 * job's effects together: the messages of one Telegram chat (src/telegram/telegram-handlers.ts).
 * Before its effects a job takes its turn (`takeTurnInLane`): it joins the lane, and waits, as a
 * dependency (`WaitForJobError`, src/queue/postpone.ts: no polling), for the nearest unfinished
 * job of the lane with a lower id; with none, for the lane's head, the job that took its turn and
 * has not ended; with none, it becomes the head, and stays it, postponed or retried, until it
 * ends (`finish` takes it out of the lane). Waiting on the nearest makes a chain: each end
 * releases one job. A job that waited on others (`after`) joins when they have ended, and then
 * goes before the newer ones still waiting, but never into the middle of the head's effects.
 *
 * Joining at the first run rather than at enqueue leaves the enqueue as it was (no more work per
 * update: bench/README.md). The older jobs that have not joined yet are found all the same: one
 * not claimed yet would be claimed first (claims go by priority, then run_at, then id, so a
 * lane's kinds share one priority); one claimed before this one is running, and seen so once
 * every claim under way has committed (`claimsSettled`). Left over: a job whose run_at is later
 * than a newer one's (enqueued by a replica whose clock runs ahead) may come after it.
 */

export interface LaneQuery {
  readonly lane: string;
  /** The job kinds that take turns in this kind of lane. */
  readonly types: readonly string[];
  /** Whether a running job of those kinds that has not joined a lane yet belongs to this one. */
  readonly belongs: (job: { readonly type: string; readonly payload: string }) => boolean;
}

/** The lane's head is marked by its lane's name with this suffix: both found by `jobs_lane`. */
const HEAD = ' (head)';

/**
 * Takes the turn of the job this run holds in its lane: undefined when it may take effect now
 * (it is, or has just become, the lane's head), else the id of the job it must wait for. One
 * transaction under the lane's lock, so two jobs never both become its head. Each step is an
 * index range of the lane, or a read of the jobs running in the cluster: never the jobs of other
 * lanes, however many wait.
 */
export async function takeTurnInLane(db: Db, job: JobRow, query: LaneQuery): Promise<number | undefined> {
  const head = `${query.lane}${HEAD}`;
  if (job.lane === head) return undefined;
  await claimsSettled(db);
  return db.transaction().execute(async (trx) => {
    await lockForTransaction(trx, `jobs.lane:${query.lane}`);
    if (job.lane !== query.lane) await markLane(trx, job, query.lane);
    const older = await trx
      .selectFrom('jobs')
      .select('id')
      .where('lane', '=', query.lane)
      .where('id', '<', job.id)
      .where('state', 'in', ['pending', 'running'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const joining = await trx
      .selectFrom('jobs')
      .select(['id', 'type', 'payload'])
      .where('state', '=', 'running')
      .where('lane', 'is', null)
      .where('type', 'in', query.types)
      .where('id', '<', job.id)
      .execute();
    const nearest = Math.max(older?.id ?? 0, ...joining.filter(query.belongs).map((row) => row.id));
    if (nearest > 0) return nearest;
    const current = await trx
      .selectFrom('jobs')
      .select('id')
      .where('lane', '=', head)
      .where('state', 'in', ['pending', 'running'])
      .limit(1)
      .executeTakeFirst();
    if (current) return current.id;
    await markLane(trx, job, head);
    return undefined;
  });
}

async function markLane(trx: Transaction<Database>, job: JobRow, lane: string): Promise<void> {
  const result = await heldBy(trx.updateTable('jobs'), job).set({ lane }).executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new LostLockError(job.id);
}

/** How each job this one waited on ended (its handler decides what a dead one means). */
export async function dependencyOutcomes(db: Db, jobId: number): Promise<DependencyOutcome[]> {
  const rows = await db
    .selectFrom('job_dependencies')
    .innerJoin('jobs', 'jobs.id', 'job_dependencies.depends_on')
    .select(['jobs.type', 'jobs.state', 'jobs.idempotency_key', 'jobs.last_error'])
    .where('job_dependencies.job_id', '=', jobId)
    .orderBy('jobs.id')
    .execute();
  return rows.map((row) => ({
    type: row.type,
    state: row.state,
    idempotencyKey: row.idempotency_key,
    lastError: row.last_error,
  }));
}

/**
 * The idempotency keys of the jobs whose key starts with `prefix`: the earlier jobs of one series
 * (a report's late-photo lines), for a new one to wait on them (`after`).
 */
export async function jobKeysStartingWith(db: Transaction<Database> | Db, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('jobs')
    .select('idempotency_key')
    .where(sql<boolean>`idempotency_key like ${pattern} escape '\\'`)
    .execute();
  return rows.map((row) => row.idempotency_key);
}

/**
 * Ends a job that has not started, as done: its work is no longer needed (a reminder whose
 * reason went away). False when it is not pending (running, ended, or unknown).
 */
export async function cancelPendingJob(
  db: Transaction<Database> | Db,
  idempotencyKey: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({
      state: 'done',
      finished_at: now.getTime(),
      updated_at: now.getTime(),
      lane: null,
      last_error: 'cancelled',
    })
    .where('idempotency_key', '=', idempotencyKey)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Gives a dead job a fresh set of attempts (admin action). False when it is not dead.
 *
 * When it died, the jobs waiting on it counted one less (`finish` → releaseDependents), and they
 * will count one less again when it ends anew: in the same transaction, each dependent still
 * pending waits for it again (waitAgainFor), or it would run while another of its dependencies
 * is still pending.
 */
export async function retryDeadJob(db: Db, id: number, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('jobs')
      .set({
        state: 'pending',
        attempts: 0,
        run_at: now.getTime(),
        finished_at: null,
        updated_at: now.getTime(),
      })
      .where('id', '=', id)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    await waitAgainFor(trx, id, now);
    return true;
  });
}

/**
 * The undoing of releaseDependents, for a job that is pending again: its pending dependents count
 * it once more. That includes one the death released (waiting_for 0, not claimed yet, or waiting
 * between two attempts): it runs again anyway, so it waits for the retry and then reads its
 * outcome rather than the death. Dependents running or ended are left alone: too late to hold
 * them back, and the retried job's end lowers no counter of theirs (releaseDependents only lowers
 * counters above 0, and a job runs only at 0). On PostgreSQL the pending filter is checked again
 * on the locked row (READ COMMITTED,
 * https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED): a dependent claimed
 * meanwhile, now running, is skipped rather than made to wait.
 */
async function waitAgainFor(trx: Transaction<Database>, jobId: number, now: Date): Promise<void> {
  await trx
    .updateTable('jobs')
    .set((eb) => ({ waiting_for: eb('waiting_for', '+', 1), updated_at: now.getTime() }))
    .where('state', '=', 'pending')
    .where('id', 'in', (eb) =>
      eb.selectFrom('job_dependencies').select('job_id').where('depends_on', '=', jobId),
    )
    .execute();
}

/**
 * Deletes done jobs finished more than `retentionDays` ago. Dead jobs stay until someone
 * retries them: they are the record of what failed.
 */
export async function purgeFinishedJobs(db: Db, now: Date, retentionDays: number): Promise<number> {
  const before = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
  return db.transaction().execute(async (trx) => {
    const purged = (eb: ExpressionBuilder<Database, 'job_dependencies'>) =>
      eb.selectFrom('jobs').select('id').where('state', '=', 'done').where('finished_at', '<', before);
    await trx.deleteFrom('job_dependencies').where('job_id', 'in', purged).execute();
    const result = await trx
      .deleteFrom('jobs')
      .where('state', '=', 'done')
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

/**
 * When the next job of these types becomes runnable (ms), so the worker can sleep until then:
 * a pending job's run_at, or the lock expiry of a running job whose holder may have died.
 */
export async function nextRunAt(db: Db, types: readonly string[]): Promise<number | undefined> {
  if (types.length === 0) return undefined;
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min(eb.fn.coalesce('locked_until', 'run_at')).as('next'))
    .where('type', 'in', types)
    .where('state', 'in', ['pending', 'running'])
    .where('waiting_for', '=', 0)
    .executeTakeFirst();
  return row?.next ?? undefined;
}

export interface JobFilter {
  readonly state?: JobState;
  readonly type?: string;
  readonly limit?: number;
}

export async function listJobs(db: Db, filter: JobFilter = {}): Promise<JobRow[]> {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.type) query = query.where('type', '=', filter.type);
  return query.execute();
}
