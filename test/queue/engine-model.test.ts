import fc from 'fast-check';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { enqueue, stopWaitingFor, waitAlsoFor } from '../../src/queue/enqueue.ts';
import { defineJobs } from '../../src/queue/job-kind.ts';
import {
  claimNextJob,
  completeJob,
  failJob,
  type JobRow,
  listJobs,
  releaseJob,
  renewLock,
} from '../../src/queue/job-store.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';

/**
 * The engine against random sequences of what workers do to it: claim, finish (done, retry, dead,
 * postpone), heartbeat, crash (a lock left to expire), graceful stop, time passing, new work that
 * a waiting job is made to wait on too (as a report's plan adds its uploads), a dependency a
 * waiting job stops waiting for (as a report confirmed on hold). After every
 * step: no two runs of one job can both act, a finished job is never run again, attempts never
 * exceed the maximum, a dependent never runs before all it waits on have ended; at the end every
 * job ends, and each dependent ran exactly once.
 */

const MAX_ATTEMPTS = 3;
const LOCK_MS = 1_000;
const jobs = defineJobs({ 'model.job': { schema: Type.Object({}), priority: 0, maxAttempts: MAX_ATTEMPTS } });
const TYPES = ['model.job'];
const WORKERS = 3;

type Command =
  | { kind: 'claim'; worker: number }
  | { kind: 'finish'; worker: number; run: number; how: 'done' | 'retry' | 'fail' | 'postpone' }
  | { kind: 'heartbeat'; worker: number }
  | { kind: 'crash'; worker: number }
  | { kind: 'stop'; worker: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'add-work'; target: number }
  | { kind: 'stop-waiting'; target: number; dependency: number };

const worker = fc.integer({ min: 0, max: WORKERS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('claim' as const), worker }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      worker,
      run: fc.nat({ max: 3 }),
      how: fc.constantFrom('done' as const, 'retry' as const, 'fail' as const, 'postpone' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), worker }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), worker }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), worker }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add-work' as const), target: fc.nat({ max: 5 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('stop-waiting' as const),
      target: fc.nat({ max: 5 }),
      dependency: fc.nat({ max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(100, 600, 1_100, 5_000),
    }),
  },
);

/** Job i may wait on jobs before it: a small random DAG. */
const graph = fc.array(fc.array(fc.nat({ max: 5 }), { maxLength: 2 }), { minLength: 1, maxLength: 6 });

interface Model {
  readonly db: Db;
  readonly clock: TestClock;
  /** What each worker believes it is running (its claims), in claim order. */
  readonly runs: JobRow[][];
  /** Successful completions per job key: the visible effect. */
  readonly effects: Map<string, number>;
  readonly dependsOn: Map<string, string[]>;
}

async function apply(model: Model, cmd: Command): Promise<void> {
  const { db, clock, runs, effects } = model;
  const now = clock.now();
  switch (cmd.kind) {
    case 'claim': {
      const mine = runs[cmd.worker]!;
      const job = await claimNextJob(db, {
        workerId: `w${cmd.worker}`,
        now,
        lockMs: LOCK_MS,
        types: TYPES,
        exclude: mine.map((run) => run.id),
      });
      if (!job) return;
      expect(
        mine.some((run) => run.id === job.id),
        'a worker never claims a job it runs',
      ).toBe(false);
      const unfinished = await unfinishedDependencies(model, job.idempotency_key);
      expect(unfinished, `${job.idempotency_key} claimed before its dependencies ended`).toEqual([]);
      mine.push(job);
      return;
    }
    case 'finish': {
      const mine = runs[cmd.worker]!;
      const run = mine[cmd.run];
      if (!run) return;
      mine.splice(cmd.run, 1);
      if (cmd.how === 'done') {
        if (await completeJob(db, run, now)) {
          effects.set(run.idempotency_key, (effects.get(run.idempotency_key) ?? 0) + 1);
        }
        return;
      }
      const decision =
        cmd.how === 'postpone'
          ? { action: 'postpone' as const, reason: 'wait', delayMs: 500 }
          : { action: cmd.how, reason: 'boom', ...(cmd.how === 'retry' ? { delayMs: 200 } : {}) };
      await failJob(db, run, decision, now, () => 0);
      return;
    }
    case 'heartbeat': {
      const mine = runs[cmd.worker]!;
      const kept: JobRow[] = [];
      for (const run of mine) if (await renewLock(db, run, now, LOCK_MS)) kept.push(run);
      runs[cmd.worker] = kept;
      return;
    }
    case 'crash':
      // The process died: its claims stay in the database until their locks expire.
      runs[cmd.worker] = [];
      return;
    case 'stop':
      for (const run of runs[cmd.worker]!) await releaseJob(db, run, now);
      runs[cmd.worker] = [];
      return;
    case 'advance':
      clock.advance(cmd.ms);
      return;
    case 'add-work': {
      const target = `job-${cmd.target}`;
      const work = `work-${model.dependsOn.size}`;
      const added = await db.transaction().execute(async (trx) => {
        await enqueue(trx, jobs['model.job'], { idempotencyKey: work, payload: {} }, now);
        return waitAlsoFor(trx, target, [work]);
      });
      model.dependsOn.set(work, []);
      if (added) model.dependsOn.set(target, [...(model.dependsOn.get(target) ?? []), work]);
      return;
    }
    case 'stop-waiting': {
      const target = `job-${cmd.target}`;
      const waited = model.dependsOn.get(target) ?? [];
      const dependency = waited[cmd.dependency % Math.max(waited.length, 1)];
      if (dependency === undefined) return;
      const dropped = await db.transaction().execute((trx) => stopWaitingFor(trx, target, [dependency]));
      if (dropped)
        model.dependsOn.set(
          target,
          waited.filter((key) => key !== dependency),
        );
      return;
    }
  }
}

async function unfinishedDependencies(model: Model, key: string): Promise<string[]> {
  const rows = await listJobs(model.db, { limit: 1000 });
  const state = new Map(rows.map((row) => [row.idempotency_key, row.state]));
  return (model.dependsOn.get(key) ?? []).filter(
    (dep) => state.get(dep) === 'pending' || state.get(dep) === 'running',
  );
}

async function checkInvariants(model: Model): Promise<void> {
  const rows = await listJobs(model.db, { limit: 1000 });
  for (const row of rows) {
    expect(row.attempts, `attempts of ${row.idempotency_key}`).toBeLessThanOrEqual(row.max_attempts);
    expect(row.attempts).toBeGreaterThanOrEqual(0);
    expect(
      model.effects.get(row.idempotency_key) ?? 0,
      `effects of ${row.idempotency_key}`,
    ).toBeLessThanOrEqual(1);
    if (model.effects.get(row.idempotency_key) === 1) expect(row.state).toBe('done');
  }
  // Two runs of one job may exist (one's lock expired), but only the holder of the row's token
  // can act: never two at once.
  const live = new Map<number, number>();
  for (const row of rows) {
    for (const mine of model.runs) {
      for (const run of mine) {
        if (run.id === row.id && row.state === 'running' && run.lock_token === row.lock_token) {
          live.set(row.id, (live.get(row.id) ?? 0) + 1);
        }
      }
    }
  }
  for (const [id, count] of live) expect(count, `live runs of job ${id}`).toBe(1);
}

/** Time passes and one healthy worker finishes everything left. */
async function drain(model: Model): Promise<void> {
  for (let round = 0; round < 200; round++) {
    model.clock.advance(LOCK_MS * 10);
    const job = await claimNextJob(model.db, {
      workerId: 'drain',
      now: model.clock.now(),
      lockMs: LOCK_MS,
      types: TYPES,
    });
    if (!job) return;
    const unfinished = await unfinishedDependencies(model, job.idempotency_key);
    expect(unfinished).toEqual([]);
    if (await completeJob(model.db, job, model.clock.now())) {
      model.effects.set(job.idempotency_key, (model.effects.get(job.idempotency_key) ?? 0) + 1);
    }
  }
  throw new Error('the queue did not drain');
}

describe('the job engine, model-based', () => {
  it('keeps its invariants under random claims, finishes, heartbeats, crashes, stops and time', async () => {
    await fc.assert(
      fc.asyncProperty(graph, fc.array(command, { maxLength: 40 }), async (edges, commands) => {
        const db = await memoryDatabase();
        const clock = new TestClock();
        const dependsOn = new Map<string, string[]>();
        try {
          for (const [index, deps] of edges.entries()) {
            const after = [...new Set(deps.filter((dep) => dep < index))].map((dep) => `job-${dep}`);
            dependsOn.set(`job-${index}`, after);
            await enqueue(
              db,
              jobs['model.job'],
              { idempotencyKey: `job-${index}`, payload: {}, after },
              clock.now(),
            );
          }
          const model: Model = {
            db,
            clock,
            runs: Array.from({ length: WORKERS }, () => []),
            effects: new Map(),
            dependsOn,
          };
          for (const cmd of commands) {
            await apply(model, cmd);
            await checkInvariants(model);
          }
          model.runs.forEach((_, index) => (model.runs[index] = []));
          await drain(model);
          await checkInvariants(model);
          const final = await listJobs(db, { limit: 1000 });
          for (const row of final) {
            expect(['done', 'dead'], `${row.idempotency_key} ended`).toContain(row.state);
            // A job that waited on others ran (its effect happened) exactly once, unless it died.
            if (row.state === 'done')
              expect(model.effects.get(row.idempotency_key) ?? 0).toBeLessThanOrEqual(1);
          }
          for (const [key, deps] of dependsOn) {
            if (deps.length === 0) continue;
            const row = final.find((r) => r.idempotency_key === key)!;
            if (row.state === 'done') expect(model.effects.get(key), `${key} ran once`).toBe(1);
          }
        } finally {
          await db.destroy();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
