import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import { isPostgres } from '../db/dialect.ts';
import type { JobsTable, JobState } from '../db/schema.ts';
import { backoffDelayMs } from './backoff.ts';
import type { FailureDecision } from './failure.ts';

/**
 * The durable job table's life cycle: pending → running (claimed, attempt counted) → done | dead,
 * or back to pending for a retry. Only the worker holding a job's lock may finish it; a lock
 * whose holder died expires and the job is claimed again. Times are Unix ms from the caller's clock.
 */

export type JobRow = Selectable<JobsTable>;

export interface ClaimOptions {
  readonly workerId: string;
  readonly now: Date;
  readonly lockMs: number;
  /** Only these types are claimed: jobs of a remote that is not configured wait, untouched. */
  readonly types: readonly string[];
}

/** Takes the most urgent runnable job (priority, then run_at) and locks it for this worker. */
export async function claimNextJob(db: Db, options: ClaimOptions): Promise<JobRow | undefined> {
  if (options.types.length === 0) return undefined;
  const now = options.now.getTime();
  const candidates = db
    .selectFrom('jobs')
    .select('id')
    .where('type', 'in', options.types)
    .where('run_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        // The holder died (its lock expired): the job is claimable again.
        eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)]),
      ]),
    )
    .orderBy('priority', 'desc')
    .orderBy('run_at')
    .orderBy('id')
    .limit(1);
  // One statement on both engines. On PostgreSQL, replicas claim at the same moment: FOR UPDATE
  // SKIP LOCKED makes each take a different row instead of waiting for, then repeating, another's
  // claim (https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE). SQLite has
  // no row locks and needs none: its one writer runs the statement alone.
  const candidate = isPostgres(db) ? candidates.forUpdate().skipLocked() : candidates;
  return db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: options.workerId,
      locked_until: now + options.lockMs,
      updated_at: now,
    }))
    .where('id', '=', candidate)
    .returningAll()
    .executeTakeFirst();
}

/** Marks the job done; false when this worker no longer holds it (its lock expired and was taken). */
export async function completeJob(db: Db, job: JobRow, workerId: string, now: Date): Promise<boolean> {
  return finish(db, job, workerId, now, { state: 'done', finished_at: now.getTime(), last_error: null });
}

/** Applies the failure decision for a job this worker holds. */
export async function failJob(
  db: Db,
  job: JobRow,
  workerId: string,
  decision: FailureDecision,
  now: Date,
  random: () => number = Math.random,
): Promise<boolean> {
  const at = now.getTime();
  switch (decision.action) {
    case 'done':
      return finish(db, job, workerId, now, { state: 'done', finished_at: at, last_error: null });
    case 'fail':
      return finish(db, job, workerId, now, { state: 'dead', finished_at: at, last_error: decision.reason });
    case 'postpone':
      // Waiting for a rate limit is not a failure: give the attempt back.
      return finish(db, job, workerId, now, {
        state: 'pending',
        run_at: at + decision.delayMs,
        attempts: job.attempts - 1,
        last_error: job.last_error,
      });
    case 'retry':
      if (job.attempts >= job.max_attempts) {
        return finish(db, job, workerId, now, {
          state: 'dead',
          finished_at: at,
          last_error: `${decision.reason} (after ${job.attempts} attempts)`,
        });
      }
      return finish(db, job, workerId, now, {
        state: 'pending',
        run_at: at + (decision.delayMs ?? backoffDelayMs(job.attempts, random)),
        last_error: decision.reason,
      });
  }
}

/** Hands a job back untried (graceful stop): it runs again at once elsewhere or after restart. */
export async function releaseJob(db: Db, job: JobRow, workerId: string, now: Date): Promise<boolean> {
  return finish(db, job, workerId, now, {
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

async function finish(db: Db, job: JobRow, workerId: string, now: Date, values: Finish): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ ...values, locked_by: null, locked_until: null, updated_at: now.getTime() })
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('locked_by', '=', workerId)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives a dead job a fresh set of attempts (admin action). False when it is not dead. */
export async function retryDeadJob(db: Db, id: number, now: Date): Promise<boolean> {
  const result = await db
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
  return result.numUpdatedRows === 1n;
}

/**
 * Deletes done jobs finished more than `retentionDays` ago. Dead jobs stay until someone
 * retries them: they are the record of what failed.
 */
export async function purgeFinishedJobs(db: Db, now: Date, retentionDays: number): Promise<number> {
  const before = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
  const result = await db
    .deleteFrom('jobs')
    .where('state', '=', 'done')
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
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
