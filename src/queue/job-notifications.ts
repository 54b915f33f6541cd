import { type QueryExecutorProvider, sql } from 'kysely';
import pg from 'pg';
import { isPostgres } from '../db/dialect.ts';

/**
 * Wakes idle workers of every replica when a job is enqueued, through PostgreSQL's LISTEN/NOTIFY
 * (https://www.postgresql.org/docs/15/sql-notify.html): a notification sent inside a transaction
 * is delivered when it commits, so a worker never looks before the job is visible. The worker's
 * timer stays the fallback: a notification missed while reconnecting costs one polling period.
 */
export const JOBS_CHANNEL = 'etm_jobs';

/** Inside the enqueuing transaction; nothing on SQLite, where the only worker is woken in-process. */
export async function notifyEnqueued(trx: QueryExecutorProvider): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`SELECT pg_notify(${JOBS_CHANNEL}, '')`.execute(trx);
}

export interface JobListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly onJob: () => void;
  readonly onError: (error: Error) => void;
  /** Wait before reconnecting after the connection broke. */
  readonly retryMs?: number;
}

/** One dedicated connection that LISTENs (a pooled one would be handed to others). */
export async function listenForJobs(databaseUrl: string, options: ListenOptions): Promise<JobListener> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', options.onJob);
    next.on('error', (error) => {
      options.onError(error);
      void next.end().catch(() => undefined);
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${JOBS_CHANNEL}`);
    client = next;
    // Whatever was enqueued while we were not listening.
    options.onJob();
  };
  const scheduleReconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((error: unknown) => {
        options.onError(error instanceof Error ? error : new Error(String(error)));
        scheduleReconnect();
      });
    }, options.retryMs ?? 5_000);
    retry.unref();
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end();
    },
  };
}
