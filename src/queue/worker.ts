import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import type { FailureDecision } from './failure.ts';
import type { HandlerSet } from './job-handler.ts';
import { PostponeError } from './postpone.ts';
import {
  claimNextJob,
  completeJob,
  failJob,
  type JobRow,
  nextRunAt,
  purgeFinishedJobs,
  releaseJob,
} from './job-store.ts';

export interface WorkerOptions {
  readonly db: Db;
  /** Job type → handler. Types without a handler (remote not configured) are left waiting. */
  readonly handlers: HandlerSet;
  /**
   * The retry policy, composed outside the engine (each remote's classification of its own
   * errors). A `PostponeError` never reaches it: the engine postpones without using an attempt.
   */
  readonly decide: (error: unknown, job: JobRow) => FailureDecision;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly concurrency: number;
  /** A job whose holder has not finished after this long is considered abandoned. */
  readonly lockMs?: number;
  /** Longest sleep without a wake-up: catches jobs whose holder died. */
  readonly idleCheckMs?: number;
  readonly retentionDays?: number;
  /** Other periodic clean-up, run with the hourly purge of done jobs (e.g. old dedupe marks). */
  readonly housekeeping?: (now: Date) => Promise<void>;
  readonly random?: () => number;
  /** Called after each job ends (any outcome): metrics. */
  readonly onJobEnd?: (job: JobRow, outcome: JobOutcome, durationMs: number) => void;
}

export type JobOutcome = 'done' | 'retry' | 'postpone' | 'dead' | 'lost-lock' | 'released';

const DEFAULT_LOCK_MS = 5 * 60_000;
const DEFAULT_IDLE_CHECK_MS = 30_000;
const PURGE_EVERY_MS = 60 * 60_000;
/** Guards runOnce against a job that keeps asking to run again immediately. */
const RUN_ONCE_LIMIT = 10_000;

/**
 * Runs durable jobs in this process: woken at once when a job is enqueued, otherwise asleep
 * until the next job is due. `runOnce` drains what is runnable now, for tests and tools.
 */
export class Worker {
  readonly id = `worker-${randomUUID()}`;
  private readonly options: WorkerOptions;
  private readonly types: readonly string[];
  private readonly running = new Map<number, Promise<void>>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Set by a wake-up that came while the loop was busy, so the next sleep is skipped. */
  private woken = false;
  private timer: NodeJS.Timeout | undefined;
  private lastPurge = 0;

  constructor(options: WorkerOptions) {
    this.options = options;
    this.types = Object.keys(options.handlers);
  }

  /** Starts the background loop. */
  start(): void {
    this.loop ??= this.runLoop();
  }

  /** A job was enqueued: look now rather than at the next timer. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Runs jobs one at a time until none is runnable at the clock's current time.
   * Returns how many ran. Not for use while the loop runs.
   */
  async runOnce(): Promise<number> {
    let count = 0;
    while (count < RUN_ONCE_LIMIT) {
      const job = await this.claim();
      if (!job) return count;
      await this.execute(job);
      count++;
    }
    throw new Error(`runOnce stopped after ${RUN_ONCE_LIMIT} jobs: a job keeps rescheduling itself`);
  }

  /**
   * Stops claiming, lets running jobs finish within `graceMs`, then hands back what is
   * still running so another worker (or this one after restart) runs it again.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    const all = Promise.allSettled([...this.running.values()]);
    const finishedInTime = await Promise.race([
      all.then(() => true),
      new Promise<false>((resolve) =>
        setTimeout(() => {
          resolve(false);
        }, graceMs).unref(),
      ),
    ]);
    if (!finishedInTime) await this.releaseRunning();
    await this.loop;
  }

  private async runLoop(): Promise<void> {
    while (this.isActive()) {
      this.woken = false;
      try {
        await this.maybeHousekeep();
        while (this.isActive() && this.running.size < this.options.concurrency) {
          const job = await this.claim();
          if (!job) break;
          this.track(job);
        }
        if (this.isActive()) await this.sleep(await this.sleepMs());
      } catch (error) {
        // The database is unavailable: keep the loop alive and try again shortly.
        this.options.logger.error({ err: error }, 'worker loop failed; retrying');
        await this.sleep(this.idleCheckMs);
      }
    }
  }

  private track(job: JobRow): void {
    const run = this.execute(job).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, run);
  }

  private async claim(): Promise<JobRow | undefined> {
    return claimNextJob(this.options.db, {
      workerId: this.id,
      now: this.options.clock(),
      lockMs: this.options.lockMs ?? DEFAULT_LOCK_MS,
      types: this.types,
    });
  }

  private async execute(job: JobRow): Promise<void> {
    const { clock, db, logger } = this.options;
    const log = logger.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
    const started = clock();
    let outcome: JobOutcome;
    try {
      const handler = this.options.handlers[job.type]!;
      await handler.run(JSON.parse(job.payload), { job, now: started, log });
      outcome = (await completeJob(db, job, this.id, clock())) ? 'done' : 'lost-lock';
    } catch (error) {
      outcome = await this.recordFailure(job, error, log);
    }
    if (outcome === 'lost-lock')
      log.warn('job finished after its lock expired; another worker may repeat it');
    this.options.onJobEnd?.(job, outcome, clock().getTime() - started.getTime());
  }

  private async recordFailure(job: JobRow, error: unknown, log: Logger): Promise<JobOutcome> {
    const decision =
      error instanceof PostponeError
        ? ({ action: 'postpone', reason: error.message, delayMs: error.delayMs } as const)
        : this.options.decide(error, job);
    const recorded = await failJob(
      this.options.db,
      job,
      this.id,
      decision,
      this.options.clock(),
      this.options.random,
    );
    if (!recorded) return 'lost-lock';
    const outcome = outcomeOf(job, decision);
    const entry = { action: decision.action, reason: decision.reason };
    if (outcome === 'dead') log.error(entry, 'job failed for good');
    else if (outcome === 'retry') log.warn(entry, 'job failed; will retry');
    else log.info(entry, `job ${outcome}`);
    return outcome;
  }

  private async releaseRunning(): Promise<void> {
    const now = this.options.clock();
    const jobs = await this.options.db
      .selectFrom('jobs')
      .selectAll()
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running')
      .execute();
    for (const job of jobs) {
      if (await releaseJob(this.options.db, job, this.id, now)) {
        this.options.logger.warn({ jobId: job.id, jobType: job.type }, 'job handed back at shutdown');
        this.options.onJobEnd?.(job, 'released', 0);
      }
    }
  }

  private async maybeHousekeep(): Promise<void> {
    const now = this.options.clock();
    if (now.getTime() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now.getTime();
    const purged = await purgeFinishedJobs(this.options.db, now, this.options.retentionDays ?? 7);
    if (purged > 0) this.options.logger.info({ purged }, 'purged finished jobs');
    await this.options.housekeeping?.(now);
  }

  private async sleepMs(): Promise<number> {
    if (this.running.size >= this.options.concurrency) return this.idleCheckMs;
    const next = await nextRunAt(this.options.db, this.types);
    if (next === undefined) return this.idleCheckMs;
    return Math.max(0, Math.min(this.idleCheckMs, next - this.options.clock().getTime()));
  }

  /** A call, not a field read, so the checker does not assume it unchanged across awaits. */
  private isActive(): boolean {
    return !this.stopping;
  }

  private get idleCheckMs(): number {
    return this.options.idleCheckMs ?? DEFAULT_IDLE_CHECK_MS;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
    });
  }
}

function outcomeOf(job: JobRow, decision: FailureDecision): JobOutcome {
  switch (decision.action) {
    case 'done':
      return 'done';
    case 'fail':
      return 'dead';
    case 'postpone':
      return 'postpone';
    case 'retry':
      return job.attempts >= job.max_attempts ? 'dead' : 'retry';
  }
}
