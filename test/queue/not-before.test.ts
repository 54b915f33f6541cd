import { describe, expect, it } from 'vitest';
import { heldUntil, holdUntil, purgeEndedHolds } from '../../src/queue/not-before.ts';
import { databaseEachTest } from '../support/database.ts';

const t = databaseEachTest();

const at = (ms: number) => new Date(t.clock.now().getTime() + ms);

describe('not-before holds', () => {
  it('keep the longest hold of a scope and report the latest of several scopes', async () => {
    await holdUntil(t.db, 'chat:1', at(30_000), 'first 429');
    await holdUntil(t.db, 'chat:1', at(5_000), 'a shorter one');
    await holdUntil(t.db, 'bot', at(10_000), 'bot 429');
    expect(await heldUntil(t.db, ['chat:1', 'bot'], t.clock.now())).toEqual({
      until: at(30_000).getTime(),
      reason: 'first 429',
    });
    expect(await heldUntil(t.db, ['chat:2'], t.clock.now())).toBeUndefined();
  });

  it('end at their time and are forgotten by the housekeeping', async () => {
    await holdUntil(t.db, 'chat:1', at(30_000), '429');
    t.clock.advance(30_000);
    expect(await heldUntil(t.db, ['chat:1'], t.clock.now())).toBeUndefined();
    expect(await purgeEndedHolds(t.db, t.clock.now())).toBe(1);
  });
});
