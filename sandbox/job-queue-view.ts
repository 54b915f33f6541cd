import type { Db } from '../src/db/database.ts';
import type { JobState } from '../src/db/schema.ts';

/**
 * The job queue as the web page shows it: what waits, what is being retried, what died, and
 * the last jobs done. Read from the `jobs` table the worker uses; nothing here writes.
 */

export type JobColumn = 'pending' | 'running' | 'retrying' | 'dead' | 'done';

export interface JobLine {
  readonly id: number;
  readonly type: string;
  readonly column: JobColumn;
  readonly attempts: number;
  readonly maxAttempts: number;
  /** ms since the epoch: when it runs (next), or when it finished. */
  readonly at: number;
  readonly lastError: string | null;
}

export interface JobQueueView {
  readonly counts: Readonly<Record<JobColumn, number>>;
  /** Every job not done (newest first, bounded) and the latest done ones. */
  readonly jobs: readonly JobLine[];
}

const UNFINISHED_SHOWN = 100;
const DONE_SHOWN = 15;

/** A pending job that already failed once is waiting for a retry. Pure. */
export function jobColumn(state: JobState, attempts: number): JobColumn {
  if (state === 'pending' && attempts > 0) return 'retrying';
  return state;
}

export async function readJobQueue(db: Db): Promise<JobQueueView> {
  const columns = [
    'id',
    'type',
    'state',
    'attempts',
    'max_attempts',
    'run_at',
    'finished_at',
    'last_error',
  ] as const;
  const newest = (done: boolean, limit: number) =>
    db
      .selectFrom('jobs')
      .select(columns)
      .where('state', done ? '=' : '!=', 'done')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  const unfinished = await newest(false, UNFINISHED_SHOWN);
  const done = await newest(true, DONE_SHOWN);
  const grouped = await db
    .selectFrom('jobs')
    .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
    .select((eb) => eb.fn.sum<number>(eb.case().when('attempts', '>', 0).then(1).else(0).end()).as('retried'))
    .groupBy('state')
    .execute();
  const counts: Record<JobColumn, number> = { pending: 0, running: 0, retrying: 0, dead: 0, done: 0 };
  for (const row of grouped) {
    if (row.state === 'pending') {
      counts.retrying = row.retried;
      counts.pending = row.count - row.retried;
    } else {
      counts[row.state] = row.count;
    }
  }
  const lines = [...unfinished, ...done].map((row) => ({
    id: row.id,
    type: row.type,
    column: jobColumn(row.state, row.attempts),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    at: row.finished_at ?? row.run_at,
    lastError: row.last_error,
  }));
  return { counts, jobs: lines };
}

/** Changes whenever a job is added or changes state: cheap enough to poll. */
export async function jobQueueFingerprint(db: Db): Promise<string> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('updated_at').as('latest')])
    .executeTakeFirst();
  return `${row?.count ?? 0}:${row?.latest ?? 0}`;
}
