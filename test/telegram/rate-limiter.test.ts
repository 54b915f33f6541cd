import { describe, expect, it } from 'vitest';
import {
  chatWindow,
  type RateWindow,
  type Send,
  TELEGRAM_RATE_LIMITS,
  windowDelay,
} from '../../src/telegram/rate-limiter.ts';

const GROUP = -1001234567890;
const PRIVATE_CHAT = 111111111;
const { group, privateChat } = TELEGRAM_RATE_LIMITS;

/** Sends one message at a time as early as the window allows, from `start`; returns the send times. */
function drain(window: RateWindow, count: number, start = 0): number[] {
  const sent: Send[] = [];
  let now = start;
  for (let i = 0; i < count; i += 1) {
    for (let delay = windowDelay(window, sent, now, 1); delay > 0; delay = windowDelay(window, sent, now, 1))
      now += delay;
    sent.push({ at: now, messages: 1 });
  }
  return sent.map((s) => s.at);
}

/** The most sends in any window of `windowMs` (a send at t counts during [t, t + windowMs)). */
function busiestWindow(sentAt: readonly number[], windowMs: number): number {
  return Math.max(...sentAt.map((start) => sentAt.filter((t) => t >= start && t < start + windowMs).length));
}

describe('windowDelay', () => {
  it('spreads a burst of 60 messages to one group to at most 20 per minute, no slower', () => {
    const sentAt = drain(group, 60);
    expect(busiestWindow(sentAt, 60_000)).toBe(20);
    // The 21st and 41st go exactly when the first minute ends.
    expect(sentAt[20]).toBe(60_000);
    expect(sentAt[59]).toBe(120_000);
  });

  it('sends to a private chat at most once a second', () => {
    const sent = [{ at: 10_000, messages: 1 }];
    expect(windowDelay(privateChat, [], 10_000, 1)).toBe(0);
    expect(windowDelay(privateChat, sent, 10_400, 1)).toBe(600);
    expect(windowDelay(privateChat, sent, 10_999, 1)).toBe(1);
    expect(windowDelay(privateChat, sent, 11_000, 1)).toBe(0);
  });

  it('keeps all chats together under 30 messages a second', () => {
    const sentAt = drain(TELEGRAM_RATE_LIMITS.total, 90);
    expect(busiestWindow(sentAt, 1000)).toBe(30);
    expect(sentAt[30]).toBe(1000);
    expect(sentAt[89]).toBe(2000);
  });

  it('counts each item of an album, and lets an album bigger than a limit go alone', () => {
    const sent: Send[] = [];
    expect(windowDelay(group, sent, 0, 10)).toBe(0);
    sent.push({ at: 0, messages: 10 });
    expect(windowDelay(group, sent, 0, 10)).toBe(0);
    sent.push({ at: 0, messages: 10 });
    expect(windowDelay(group, sent, 0, 1)).toBe(60_000);
    expect(windowDelay(group, [{ at: 0, messages: 25 }], 30_000, 1)).toBe(30_000);
    expect(windowDelay(privateChat, [], 60_000, 5)).toBe(0);
    expect(windowDelay(privateChat, [{ at: 60_000, messages: 5 }], 60_500, 5)).toBe(500);
  });

  it('frees room as the oldest sends leave, in any order given', () => {
    const sent = [
      { at: 20_000, messages: 10 },
      { at: 0, messages: 5 },
      { at: 10_000, messages: 5 },
    ];
    expect(windowDelay(group, sent, 30_000, 5)).toBe(30_000);
    expect(windowDelay(group, sent, 30_000, 6)).toBe(40_000);
    expect(windowDelay(group, sent, 60_000, 5)).toBe(0);
  });

  it('knows a group from a private chat, and refuses to count no message', () => {
    expect(chatWindow(GROUP)).toBe(group);
    expect(chatWindow(PRIVATE_CHAT)).toBe(privateChat);
    expect(() => windowDelay(group, [], 0, 0)).toThrow(RangeError);
  });
});
