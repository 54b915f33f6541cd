import { describe, expect, it } from 'vitest';
import { OutgoingRateLimiter } from '../../src/telegram/rate-limiter.ts';

const GROUP = -1001234567890;
const OTHER_GROUP = -1001111111111;
const PRIVATE_CHAT = 111111111;

/** Sends `count` messages as early as the limiter allows, moving the injected clock; returns send times. */
function drain(limiter: OutgoingRateLimiter, chatIds: readonly number[], start = 0): number[] {
  const sentAt: number[] = [];
  let now = start;
  for (const chatId of chatIds) {
    for (let delay = limiter.reserve(chatId, now); delay > 0; delay = limiter.reserve(chatId, now))
      now += delay;
    sentAt.push(now);
  }
  return sentAt;
}

/** The most sends in any window of `windowMs` (a send at t counts during [t, t + windowMs)). */
function busiestWindow(sentAt: readonly number[], windowMs: number): number {
  return Math.max(...sentAt.map((start) => sentAt.filter((t) => t >= start && t < start + windowMs).length));
}

describe('OutgoingRateLimiter', () => {
  it('spreads a burst of 60 messages to one group to at most 20 per minute', () => {
    const sentAt = drain(
      new OutgoingRateLimiter(),
      Array.from({ length: 60 }, () => GROUP),
    );
    expect(busiestWindow(sentAt, 60_000)).toBe(20);
    // No slower than needed: the 21st and 41st go exactly when the first minute ends.
    expect(sentAt[20]).toBe(60_000);
    expect(sentAt[59]).toBe(120_000);
  });

  it('sends to a private chat at most once a second', () => {
    const limiter = new OutgoingRateLimiter();
    expect(limiter.reserve(PRIVATE_CHAT, 10_000)).toBe(0);
    expect(limiter.reserve(PRIVATE_CHAT, 10_400)).toBe(600);
    expect(limiter.reserve(PRIVATE_CHAT, 10_999)).toBe(1);
    expect(limiter.reserve(PRIVATE_CHAT, 11_000)).toBe(0);
  });

  it('records nothing when it asks to wait', () => {
    const limiter = new OutgoingRateLimiter();
    expect(limiter.reserve(PRIVATE_CHAT, 0)).toBe(0);
    for (let now = 100; now < 1000; now += 100) expect(limiter.reserve(PRIVATE_CHAT, now)).toBe(1000 - now);
    expect(limiter.reserve(PRIVATE_CHAT, 1000)).toBe(0);
  });

  it('keeps all chats together under 30 messages a second', () => {
    const chats = Array.from({ length: 90 }, (_, i) => 200_000_000 + i);
    const sentAt = drain(new OutgoingRateLimiter(), chats);
    expect(busiestWindow(sentAt, 1000)).toBe(30);
    expect(sentAt[30]).toBe(1000);
    expect(sentAt[89]).toBe(2000);
  });

  it('limits each group on its own', () => {
    const limiter = new OutgoingRateLimiter();
    drain(
      limiter,
      Array.from({ length: 20 }, () => GROUP),
    );
    expect(limiter.reserve(GROUP, 1000)).toBe(59_000);
    expect(limiter.reserve(OTHER_GROUP, 1000)).toBe(0);
  });

  it('counts each item of an album, and lets an album bigger than a limit go alone', () => {
    const limiter = new OutgoingRateLimiter();
    expect(limiter.reserve(GROUP, 0, 10)).toBe(0);
    expect(limiter.reserve(GROUP, 0, 10)).toBe(0);
    expect(limiter.reserve(GROUP, 0, 1)).toBe(60_000);
    expect(limiter.reserve(PRIVATE_CHAT, 60_000, 5)).toBe(0);
    expect(limiter.reserve(PRIVATE_CHAT, 60_500, 5)).toBe(500);
  });

  it('takes its limits from the constructor', () => {
    const limiter = new OutgoingRateLimiter({ group: { limit: 2, windowMs: 10_000 } });
    expect(limiter.reserve(GROUP, 0)).toBe(0);
    expect(limiter.reserve(GROUP, 1)).toBe(0);
    expect(limiter.reserve(GROUP, 2)).toBe(9_998);
    expect(() => new OutgoingRateLimiter({ total: { limit: 0, windowMs: 1000 } })).toThrow(RangeError);
  });

  it('forgets chats whose window has passed', () => {
    const limiter = new OutgoingRateLimiter();
    for (let i = 0; i < 1000; i += 1) expect(limiter.reserve(300_000_000 + i, i * 100)).toBe(0);
    // One send every 100 ms to a new chat; forgotten chats are swept once a minute, so at most
    // the chats of the last minute (600) and of the last window (10) remain.
    expect(limiter.trackedChats).toBeLessThanOrEqual(610);
    limiter.reserve(PRIVATE_CHAT, 1_000_000);
    expect(limiter.trackedChats).toBe(1);
  });
});
