import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ifClusterLockFree } from '../db/cluster-lock.ts';
import type { Db } from '../db/database.ts';
import type { FailureDecision } from './failure.ts';
import { type HandlerSet, type JobContext, LostLockError, WorkerStoppingError } from './job-handler.ts';
import {
  claimNextJob,
  completeJob,
  dependencyOutcomes,
  failJob,
  type JobRow,
  nextRunAt,
  purgeFinishedJobs,
  recordProgress,
  releaseJob,
  renewLock,
} from './job-store.ts';
import { postponementIn, WaitForJobError } from './postpone.ts';

export interface WorkerOptions {
  readonly db: Db;
  /** Job type → handler. Types without a handler (remote not configured) are left waiting. */
  readonly handlers: HandlerSet;
  /**
   * The retry policy, composed outside the engine (each remote's classification of its own
   * errors). A `PostponeError`, thrown or the cause of what was thrown, never reaches it: the
   * engine postpones without using an attempt.
   */
  readonly decide: (error: unknown, job: JobRow) => FailureDecision;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly concurrency: number;
  /** A job whose lock was not renewed for this long is considered abandoned by a dead holder. */
  readonly lockMs?: number;
  /** How often the locks of running jobs are renewed; well under `lockMs`. */
  readonly heartbeatMs?: number;
  /** Longest sleep without a wake-up: catches jobs whose holder died. */
  readonly idleCheckMs?: number;
  readonly retentionDays?: number;
  /**
   * Other periodic clean-up, run with the hourly purge of done jobs (e.g. old dedupe marks), in one
   * replica at a time.
   */
  readonly housekeeping?: (now: Date) => Promise<void>;
  readonly random?: () => number;
  /** Called after each job ends (any outcome): metrics. */
  readonly onJobEnd?: (job: JobRow, outcome: JobOutcome, durationMs: number) => void;
}

export type JobOutcome = 'done' | 'retry' | 'postpone' | 'dead' | 'lost-lock' | 'released';

export const DEFAULT_LOCK_MS = 5 * 60_000;
const DEFAULT_IDLE_CHECK_MS = 30_000;
const PURGE_EVERY_MS = 60 * 60_000;
/** After the grace period, how long aborted handlers get to return before their jobs are released. */
const ABORT_WAIT_MS = 2_000;
/** Guards runOnce against a job that keeps asking to run again immediately. */
const RUN_ONCE_LIMIT = 10_000;

/** One claim being run: its row (with the claim's token) and the signal its handler watches. */
interface Run {
  job: JobRow;
  readonly controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs durable jobs in this process: woken at once when a job is enqueued, otherwise asleep
 * until the next job is due. While a handler runs, its lock is renewed (heartbeat); a run that
 * lost its lock is aborted. `runOnce` drains what is runnable now, for tests and tools.
 */
export class Worker {
  readonly id = `worker-${randomUUID()}`;
  private readonly options: WorkerOptions;
  private readonly types: readonly string[];
  private readonly running = new Map<number, Run>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Set by a wake-up that came while the loop was busy, so the next sleep is skipped. */
  private woken = false;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastPurge = 0;
  private readonly haltListeners: ((error: unknown) => void)[] = [];

  constructor(options: WorkerOptions) {
    this.options = options;
    this.types = Object.keys(options.handlers);
  }

  /** Starts the background loop and the heartbeat. */
  start(): void {
    this.loop ??= this.runLoop();
    this.heartbeat ??= setInterval(() => void this.renewLocks(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Told when the worker stopped itself because it could not record a job's outcome (the
   * database failed): going on would run jobs whose results cannot be kept.
   */
  onHalt(listener: (error: unknown) => void): void {
    this.haltListeners.push(listener);
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
    while (count < RUN_ONCE_LIMIT && this.isActive()) {
      const job = await this.claim();
      if (!job) return count;
      await this.track(job).done;
      count++;
    }
    if (!this.isActive()) return count;
    throw new Error(`runOnce stopped after ${RUN_ONCE_LIMIT} jobs: a job keeps rescheduling itself`);
  }

  /**
   * Starts one job now and returns without waiting for it (tests: a job held mid-run while
   * the clock, the heartbeat or a shutdown acts on it). Undefined when nothing is runnable.
   */
  async startOne(): Promise<{ job: JobRow; done: Promise<void> } | undefined> {
    const job = await this.claim();
    if (!job) return undefined;
    const run = this.track(job);
    return { job, done: run.done };
  }

  /**
   * Extends the lock of every job this worker runs; a run whose lock was taken meanwhile (it
   * expired, another worker claimed the job) is aborted so it stops before its next effect.
   */
  async renewLocks(): Promise<void> {
    const now = this.options.clock();
    for (const run of [...this.running.values()]) {
      try {
        if (await renewLock(this.options.db, run.job, now, this.lockMs)) continue;
        this.options.logger.warn(
          { jobId: run.job.id, jobType: run.job.type },
          'job lock lost; aborting its run',
        );
        run.controller.abort(new LostLockError(run.job.id));
      } catch (error) {
        // The database is briefly unavailable: the lock still has time; try again next beat.
        this.options.logger.error({ err: error, jobId: run.job.id }, 'could not renew a job lock');
      }
    }
  }

  /**
   * Stops claiming, lets running jobs finish within `graceMs`, then aborts their handlers and
   * hands back what is still unfinished so another worker (or this one after restart) runs it.
   * Returns within about `graceMs` + 2 s: the process's own deadline must be longer.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    if (!(await this.settleWithin(graceMs))) {
      for (const run of this.running.values()) run.controller.abort(new WorkerStoppingError());
      if (!(await this.settleWithin(ABORT_WAIT_MS))) await this.releaseRunning();
    }
    clearInterval(this.heartbeat);
    await this.loop;
  }

  private async settleWithin(ms: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.allSettled([...this.running.values()].map((run) => run.done)).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => {
          resolve(false);
        }, ms);
      }),
    ]);
    clearTimeout(timer);
    return settled;
  }

  private async runLoop(): Promise<void> {
    while (this.isActive()) {
      this.woken = false;
      try {
        await this.maybeHousekeep();
        while (this.isActive() && this.running.size < this.options.concurrency) {
          const job = await this.claim();
          if (!job) break;
          if (!this.isActive()) {
            // stop() came while this claim was in flight (a network round trip on PostgreSQL):
            // hand the job back now, as stop() no longer waits for anything it did not see.
            await releaseJob(this.options.db, job, this.options.clock());
            break;
          }
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

  private track(job: JobRow): Run {
    const run: Run = { job, controller: new AbortController(), done: Promise.resolve() };
    this.running.set(job.id, run);
    run.done = this.execute(run).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    return run;
  }

  private async claim(): Promise<JobRow | undefined> {
    return claimNextJob(this.options.db, {
      workerId: this.id,
      now: this.options.clock(),
      lockMs: this.lockMs,
      types: this.types,
      exclude: [...this.running.keys()],
    });
  }

  private async execute(run: Run): Promise<void> {
    const { clock, logger } = this.options;
    const job = run.job;
    const log = logger.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
    const started = clock();
    let failure: { error: unknown } | undefined;
    try {
      const handler = this.options.handlers[job.type]!;
      await handler.run(JSON.parse(job.payload), this.context(run, started, log));
    } catch (error) {
      failure = { error };
    }
    let outcome: JobOutcome;
    try {
      outcome = await this.record(run, failure, log);
    } catch (error) {
      this.halt(error, job);
      return;
    }
    if (outcome === 'lost-lock') log.warn('job ended after losing its lock; its outcome was not recorded');
    this.options.onJobEnd?.(job, outcome, clock().getTime() - started.getTime());
  }

  private context(run: Run, now: Date, log: Logger): JobContext {
    const { db, clock } = this.options;
    return {
      job: run.job,
      now,
      clock,
      log,
      signal: run.controller.signal,
      progress: () => (run.job.progress === null ? undefined : (JSON.parse(run.job.progress) as unknown)),
      saveProgress: async (progress) => {
        if (!(await recordProgress(db, run.job, progress, clock()))) throw new LostLockError(run.job.id);
        run.job = { ...run.job, progress: JSON.stringify(progress) };
        run.controller.signal.throwIfAborted();
      },
      dependencies: () => dependencyOutcomes(db, run.job.id),
    };
  }

  /** Writes the run's outcome; throws only when the database could not record it. */
  private async record(run: Run, failure: { error: unknown } | undefined, log: Logger): Promise<JobOutcome> {
    const { db, clock } = this.options;
    const job = run.job;
    if (!failure) return (await completeJob(db, job, clock())) ? 'done' : 'lost-lock';
    if (run.controller.signal.reason instanceof WorkerStoppingError) {
      // Stopped mid-run: hand it back without using an attempt; the steps it recorded stay.
      if (!(await releaseJob(db, job, clock()))) return 'lost-lock';
      log.warn('job handed back at shutdown');
      return 'released';
    }
    const postponement = postponementIn(failure.error);
    const decision: FailureDecision = postponement
      ? {
          action: 'postpone',
          reason: postponement.message,
          delayMs: postponement.delayMs,
          ...(postponement instanceof WaitForJobError ? { afterJob: postponement.jobId } : {}),
        }
      : this.options.decide(failure.error, job);
    if (!(await failJob(db, job, decision, clock(), this.options.random))) return 'lost-lock';
    const outcome = outcomeOf(job, decision);
    const entry = { action: decision.action, reason: decision.reason };
    if (outcome === 'dead') log.error(entry, 'job failed for good');
    else if (outcome === 'retry') log.warn(entry, 'job failed; will retry');
    else log.info(entry, `job ${outcome}`);
    return outcome;
  }

  /** The outcome of a run could not be written: stop deliberately, loudly, rather than go on. */
  private halt(error: unknown, job: JobRow): void {
    this.options.logger.error(
      { err: error, jobId: job.id, jobType: job.type },
      'could not record the outcome of a job; stopping the worker',
    );
    this.stopping = true;
    this.wake();
    for (const listener of this.haltListeners) listener(error);
  }

  /** Hands back, under their own claim tokens, the jobs whose handlers did not return in time. */
  private async releaseRunning(): Promise<void> {
    const now = this.options.clock();
    for (const run of this.running.values()) {
      if (await releaseJob(this.options.db, run.job, now)) {
        this.options.logger.warn({ jobId: run.job.id, jobType: run.job.type }, 'job handed back at shutdown');
        this.options.onJobEnd?.(run.job, 'released', 0);
      }
    }
  }

  private async maybeHousekeep(): Promise<void> {
    const now = this.options.clock();
    if (now.getTime() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now.getTime();
    // One replica at a time; one that finds another at it skips this round.
    await ifClusterLockFree(this.options.db, 'housekeeping', async () => {
      const purged = await purgeFinishedJobs(this.options.db, now, this.options.retentionDays ?? 7);
      if (purged > 0) this.options.logger.info({ purged }, 'purged finished jobs');
      await this.options.housekeeping?.(now);
    });
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

  private get lockMs(): number {
    return this.options.lockMs ?? DEFAULT_LOCK_MS;
  }

  private get heartbeatMs(): number {
    return this.options.heartbeatMs ?? Math.max(1, Math.floor(this.lockMs / 4));
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
