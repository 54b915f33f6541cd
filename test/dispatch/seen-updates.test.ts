import { describe, expect, it } from 'vitest';
import {
  markUpdateSeen,
  purgeSeenUpdates,
  SEEN_UPDATE_RETENTION_MS,
} from '../../src/dispatch/seen-updates.ts';
import { databaseEachTest } from '../support/database.ts';

const t = databaseEachTest();

const mark = (updateId: number) =>
  t.db.transaction().execute((trx) => markUpdateSeen(trx, 'etm', updateId, t.clock.now()));

describe('seen update ids', () => {
  it('are marked once per slug and id', async () => {
    expect(await mark(1)).toBe(true);
    expect(await mark(1)).toBe(false);
    expect(await t.db.transaction().execute((trx) => markUpdateSeen(trx, 'other', 1, t.clock.now()))).toBe(
      true,
    );
  });

  it('are forgotten after the retention window, not before', async () => {
    await mark(1);
    t.clock.advance(SEEN_UPDATE_RETENTION_MS);
    await mark(2);
    expect(await purgeSeenUpdates(t.db, t.clock.now())).toBe(0);
    t.clock.advance(1);
    expect(await purgeSeenUpdates(t.db, t.clock.now())).toBe(1);
    expect(await mark(2)).toBe(false);
    expect(await mark(1)).toBe(true);
  });
});
