import { sql } from 'kysely';
import { pino } from 'pino';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../../src/queue/enqueue.ts';
import { defineHandlers, type JobContext } from '../../src/queue/job-handler.ts';
import { defineJobs } from '../../src/queue/job-kind.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import { type JobOutcome, Worker } from '../../src/queue/worker.ts';
import { databaseEachTest } from '../support/database.ts';

const jobs = defineJobs({
  'test.effect': { schema: Type.Object({ name: Type.String() }), priority: 0, maxAttempts: 3 },
});

const t = databaseEachTest();

/** A handler that stays in its run until the test lets it go (or its signal aborts it). */
function heldHandler() {
  const runs: { name: string; signal: AbortSignal; release: () => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const handler = async ({ name }: { name: string }, ctx: JobContext) => {
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      await new Promise<void>((resolve, reject) => {
        runs.push({ name, signal: ctx.signal, release: resolve });
        ctx.signal.addEventListener('abort', () => {
          reject(ctx.signal.reason as Error);
        });
      });
    } finally {
      active--;
    }
  };
  return { runs, handler, maxActive: () => maxActive };
}

function worker(handler: ReturnType<typeof heldHandler>['handler'], lockMs = 100) {
  const outcomes: JobOutcome[] = [];
  const w = new Worker({
    db: t.db,
    handlers: defineHandlers(jobs, { 'test.effect': handler }),
    decide: () => ({ action: 'retry', reason: 'failed' }),
    clock: t.clock.now,
    logger: pino({ level: 'silent' }),
    concurrency: 5,
    lockMs,
    idleCheckMs: 3_600_000,
    onJobEnd: (_job, outcome) => outcomes.push(outcome),
  });
  return { w, outcomes };
}

const effect = (name: string) =>
  enqueue(t.db, jobs['test.effect'], { idempotencyKey: name, payload: { name } }, t.clock.now());

describe('locks that hold', () => {
  it('never claims again a job this worker is running, even once its lock has expired', async () => {
    const held = heldHandler();
    const { w } = worker(held.handler);
    await effect('slow upload');
    const first = (await w.startOne())!;
    // A 100 ms lock and a 450 ms job: the old worker started it again every 100 ms.
    for (let elapsed = 0; elapsed < 450; elapsed += 50) {
      t.clock.advance(50);
      expect(await w.startOne()).toBeUndefined();
    }
    held.runs[0]!.release();
    await first.done;
    expect(held.maxActive()).toBe(1);
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('renews the lock while the handler runs, so another worker cannot take the job', async () => {
    const held = heldHandler();
    const { w } = worker(held.handler);
    const other = worker(held.handler);
    await effect('slow upload');
    const first = (await w.startOne())!;
    for (let elapsed = 0; elapsed < 450; elapsed += 50) {
      t.clock.advance(50);
      await w.renewLocks();
      expect(await other.w.startOne()).toBeUndefined();
    }
    held.runs[0]!.release();
    await first.done;
    expect(held.runs).toHaveLength(1);
  });

  it('aborts a run that lost its lock; only the new claim’s token finishes the job', async () => {
    const held = heldHandler();
    const { w, outcomes } = worker(held.handler);
    const other = worker(held.handler);
    await effect('stalled');
    const first = (await w.startOne())!;
    t.clock.advance(101);
    const second = (await other.w.startOne())!;
    await w.renewLocks();
    expect(held.runs[0]!.signal.aborted).toBe(true);
    await first.done;
    expect(outcomes).toEqual(['lost-lock']);
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'running', attempts: 2 });
    held.runs[1]!.release();
    await second.done;
    expect(other.outcomes).toEqual(['done']);
  });

  it('a handler that saves progress after losing its lock is stopped before its next step', async () => {
    const steps: string[] = [];
    const { w } = worker(async (_payload, ctx) => {
      steps.push('one');
      t.clock.advance(101);
      await other.w.startOne();
      await ctx.saveProgress(1);
      steps.push('two');
    });
    const other = worker(async () => {
      await new Promise(() => undefined);
    });
    await effect('two steps');
    await w.runOnce();
    expect(steps).toEqual(['one']);
  });
});

describe('graceful stop', () => {
  it('aborts a running handler through its signal and hands the job back without using an attempt', async () => {
    const held = heldHandler();
    const { w, outcomes } = worker(held.handler, 60_000);
    await effect('upload');
    w.start();
    w.wake();
    while (held.runs.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await w.stop(0);
    expect(held.runs[0]!.signal.aborted).toBe(true);
    expect(outcomes).toEqual(['released']);
    expect((await listJobs(t.db))[0]).toMatchObject({ state: 'pending', attempts: 0, lock_token: null });
  });
});

describe('a failure to record an outcome', () => {
  it('is logged and stops the worker deliberately instead of an unhandled rejection', async () => {
    const { w } = worker(async () => {
      await sql`ALTER TABLE jobs RENAME TO jobs_gone`.execute(t.db);
    });
    const halted: unknown[] = [];
    w.onHalt((error) => halted.push(error));
    await effect('a');
    await effect('b');
    expect(await w.runOnce()).toBe(1);
    expect(halted).toHaveLength(1);
    await sql`ALTER TABLE jobs_gone RENAME TO jobs`.execute(t.db);
    expect(await w.runOnce()).toBe(0);
  });
});
