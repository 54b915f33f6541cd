import { type Db, openDatabase } from '../../src/db/database.ts';

/** A migrated in-memory database, as the service would have at start. */
export const memoryDatabase = (): Promise<Db> => openDatabase('sqlite::memory:');

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
