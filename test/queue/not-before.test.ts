import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { heldUntil, holdUntil, purgeEndedHolds } from '../../src/queue/not-before.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';

let db: Db;
let clock: TestClock;
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
});
afterEach(() => db.destroy());

const at = (ms: number) => new Date(clock.now().getTime() + ms);

describe('not-before holds', () => {
  it('keep the longest hold of a scope and report the latest of several scopes', async () => {
    await holdUntil(db, 'chat:1', at(30_000), 'first 429');
    await holdUntil(db, 'chat:1', at(5_000), 'a shorter one');
    await holdUntil(db, 'bot', at(10_000), 'bot 429');
    expect(await heldUntil(db, ['chat:1', 'bot'], clock.now())).toEqual({
      until: at(30_000).getTime(),
      reason: 'first 429',
    });
    expect(await heldUntil(db, ['chat:2'], clock.now())).toBeUndefined();
  });

  it('end at their time and are forgotten by the housekeeping', async () => {
    await holdUntil(db, 'chat:1', at(30_000), '429');
    clock.advance(30_000);
    expect(await heldUntil(db, ['chat:1'], clock.now())).toBeUndefined();
    expect(await purgeEndedHolds(db, clock.now())).toBe(1);
  });
});
