import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chatPace,
  paceWithin,
  reservationTerms,
  TELEGRAM_PACES,
  TELEGRAM_RATE_LIMITS,
} from '../../src/telegram/rate-limiter.ts';

describe('paces within Telegram limits', () => {
  it('a private chat: one message a second; a group: 10 at once then one per 5.455 s; the bot: 15, then 16 a second', () => {
    expect(TELEGRAM_PACES.privateChat).toEqual({ intervalMs: 1000, burst: 1 });
    expect(TELEGRAM_PACES.group).toEqual({ intervalMs: 5455, burst: 10 });
    expect(TELEGRAM_PACES.bot).toEqual({ intervalMs: 63, burst: 15 });
    expect(chatPace(-1001234567890)).toBe(TELEGRAM_PACES.group);
    expect(chatPace(111111111)).toBe(TELEGRAM_PACES.privateChat);
  });

  it('never lets more than the limit into a window: burst + ⌈window / interval⌉ − 1 ≤ limit, and no slower', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.nat(),
        (limit, windowMs, seed) => {
          const burst = 1 + (seed % limit);
          const { intervalMs } = paceWithin({ limit, windowMs }, burst);
          expect(burst + Math.ceil(windowMs / intervalMs) - 1).toBeLessThanOrEqual(limit);
          // One ms less would let one message too many through.
          if (intervalMs > 1)
            expect(burst + Math.ceil(windowMs / (intervalMs - 1)) - 1).toBeGreaterThan(limit);
        },
      ),
    );
  });

  it('refuses limits and bursts that allow nothing', () => {
    expect(() => paceWithin({ limit: 0, windowMs: 1000 }, 1)).toThrow(RangeError);
    expect(() => paceWithin({ limit: 1, windowMs: 0 }, 1)).toThrow(RangeError);
    expect(() => paceWithin(TELEGRAM_RATE_LIMITS.group, 21)).toThrow(RangeError);
    expect(() => reservationTerms(TELEGRAM_PACES.group, 0)).toThrow(RangeError);
  });

  it('an album costs each item; one heavier than the burst needs an empty bucket', () => {
    expect(reservationTerms(TELEGRAM_PACES.group, 3)).toEqual({ costMs: 3 * 5455, roomMs: 7 * 5455 });
    expect(reservationTerms(TELEGRAM_PACES.group, 11)).toEqual({ costMs: 11 * 5455, roomMs: 0 });
  });
});
