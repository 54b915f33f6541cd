import { CompiledQuery, type Transaction } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

/** Most units of work recorded by one commit: bounds how long the first of them waits. */
export const GROUP_COMMIT_MAX_BATCH = 64;

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Waiting {
  readonly work: Work<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Settled =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Group commit: units of work that arrive while a commit is in progress wait for the next one,
 * which records up to `maxBatch` of them in one transaction, so one fsync makes them all durable.
 * Each caller's promise settles only after the commit that holds its work: a resolved promise
 * still means "on disk" (with `synchronous = FULL`), exactly as with a transaction of its own.
 *
 * A unit that throws is rolled back alone and its caller gets the error, while the others
 * commit: the batch then runs again with each unit in a savepoint. So a unit may run twice, the
 * first run rolled back: like any transaction's work, it must act on the database only. If the
 * commit itself fails, every caller of the batch gets that error and nothing of it was recorded.
 *
 * Made for an embedded database where every commit is an fsync and the connection is one (SQLite);
 * a server database with a connection pool commits concurrently and has no use for it.
 */
export class GroupCommit {
  readonly #db: Db;
  readonly #maxBatch: number;
  readonly #queue: Waiting[] = [];
  #running = false;

  constructor(db: Db, maxBatch = GROUP_COMMIT_MAX_BATCH) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Runs `work` in the next group transaction; settles once that transaction is committed. */
  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#running) return;
      this.#running = true;
      // After the current poll phase: the requests already read by then join this batch.
      setImmediate(() => void this.#commitWhileWaiting());
    });
  }

  async #commitWhileWaiting(): Promise<void> {
    while (this.#queue.length > 0) await this.#commitOneBatch();
    this.#running = false;
  }

  async #commitOneBatch(): Promise<void> {
    const batch: Waiting[] = [];
    let outcomes: Settled[];
    try {
      outcomes = await this.#commitPlainFirst(batch);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }

  /**
   * Without savepoints first: two statements fewer per unit (an update has six), about 9 % more
   * updates per second (bench/README.md). A unit that throws rolls that transaction back; the
   * same units then run again, each in its savepoint, so that the others still commit.
   */
  async #commitPlainFirst(batch: Waiting[]): Promise<Settled[]> {
    try {
      return await this.#commitBatch(batch, runWhole);
    } catch (error) {
      if (!(error instanceof UnitFailed)) throw error;
      return await this.#commitBatch(batch, inSavepoint);
    }
  }

  /** One transaction over the batch, taking more units from the queue while there is room. */
  async #commitBatch(batch: Waiting[], run: RunUnit): Promise<Settled[]> {
    const outcomes: Settled[] = [];
    await this.#db.transaction().execute(async (trx) => {
      for (let index = 0; ; index++) {
        if (index === batch.length) {
          if (batch.length >= this.#maxBatch || this.#queue.length === 0) return;
          batch.push(this.#queue.shift()!);
        }
        outcomes.push(await run(trx, batch[index]!.work));
      }
    });
    return outcomes;
  }
}

type RunUnit = (trx: Transaction<Database>, work: Work<unknown>) => Promise<Settled>;

/** Thrown through the transaction to roll it back when a unit run without savepoint fails. */
class UnitFailed extends Error {}

async function runWhole(trx: Transaction<Database>, work: Work<unknown>): Promise<Settled> {
  try {
    return { ok: true, value: await work(trx) };
  } catch (error) {
    throw new UnitFailed('a unit of the batch failed', { cause: error });
  }
}

// Compiled once: two or three of them run for every unit of work in a batch where one failed.
const SAVEPOINT = CompiledQuery.raw('savepoint unit_of_work');
const RELEASE = CompiledQuery.raw('release unit_of_work');
const ROLLBACK = CompiledQuery.raw('rollback to unit_of_work');

async function inSavepoint(trx: Transaction<Database>, work: Work<unknown>): Promise<Settled> {
  await trx.executeQuery(SAVEPOINT);
  try {
    const value = await work(trx);
    await trx.executeQuery(RELEASE);
    return { ok: true, value };
  } catch (error) {
    await trx.executeQuery(ROLLBACK);
    await trx.executeQuery(RELEASE);
    return { ok: false, error };
  }
}

const groupCommits = new WeakMap<Db, GroupCommit>();

/** Makes `transact` on this database share commits (see GroupCommit); done by its opener. */
export function enableGroupCommit(db: Db, maxBatch = GROUP_COMMIT_MAX_BATCH): void {
  groupCommits.set(db, new GroupCommit(db, maxBatch));
}

/**
 * Runs `work` in a transaction: a group commit's when the database's opener enabled one, else a
 * transaction of its own. Either way the promise settles after the commit.
 */
export function transact<T>(db: Db, work: Work<T>): Promise<T> {
  const group = groupCommits.get(db);
  return group ? group.run(work) : db.transaction().execute(work);
}
