import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import {
  markUpdateSeen,
  purgeSeenUpdates,
  SEEN_UPDATE_RETENTION_MS,
} from '../../src/dispatch/seen-updates.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';

let db: Db;
let clock: TestClock;
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
});
afterEach(() => db.destroy());

const mark = (updateId: number) =>
  db.transaction().execute((trx) => markUpdateSeen(trx, 'etm', updateId, clock.now()));

describe('seen update ids', () => {
  it('are marked once per slug and id', async () => {
    expect(await mark(1)).toBe(true);
    expect(await mark(1)).toBe(false);
    expect(await db.transaction().execute((trx) => markUpdateSeen(trx, 'other', 1, clock.now()))).toBe(true);
  });

  it('are forgotten after the retention window, not before', async () => {
    await mark(1);
    clock.advance(SEEN_UPDATE_RETENTION_MS);
    await mark(2);
    expect(await purgeSeenUpdates(db, clock.now())).toBe(0);
    clock.advance(1);
    expect(await purgeSeenUpdates(db, clock.now())).toBe(1);
    expect(await mark(2)).toBe(false);
    expect(await mark(1)).toBe(true);
  });
});
