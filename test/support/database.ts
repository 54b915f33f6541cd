import { afterEach, beforeEach } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { freshDatabaseUrl } from './test-database.ts';

/**
 * A migrated, empty database, as the service would have at start: in memory on SQLite, a
 * schema of its own on the throwaway PostgreSQL (test/support/test-database.ts).
 */
export const memoryDatabase = async (): Promise<Db> => openDatabase(await freshDatabaseUrl());

/** A clock tests move by hand: nothing waits on wall-clock time. */
export class TestClock {
  private current: number;
  constructor(start = '2026-03-25T14:30:00Z') {
    this.current = new Date(start).getTime();
  }
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current += ms;
  }
}

/** A fresh migrated database and a test clock for each test of the file, closed after it. */
export function databaseEachTest(start?: string): { readonly db: Db; readonly clock: TestClock } {
  let current: { db: Db; clock: TestClock } | undefined;
  beforeEach(async () => {
    current = { db: await memoryDatabase(), clock: new TestClock(start) };
  });
  afterEach(async () => current?.db.destroy());
  const live = () => {
    if (!current) throw new Error('databaseEachTest: used outside a test');
    return current;
  };
  return {
    get db() {
      return live().db;
    },
    get clock() {
      return live().clock;
    },
  };
}
