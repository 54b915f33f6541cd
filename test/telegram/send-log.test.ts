import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { chatWindow, TELEGRAM_RATE_LIMITS } from '../../src/telegram/rate-limiter.ts';
import { type LimitedScope, purgeOldSends, reserveSend } from '../../src/telegram/send-log.ts';
import { memoryDatabase } from '../support/database.ts';

const GROUP = -1001234567890;
const PRIVATE_CHAT = 111111111;

let db: Db;
beforeEach(async () => {
  db = await memoryDatabase();
});
afterEach(() => db.destroy());

const chat = (chatId: number, run = ''): LimitedScope => ({
  scope: `chat:${chatId}${run}`,
  window: chatWindow(chatId),
});
const bot = (run = ''): LimitedScope => ({ scope: `bot${run}`, window: TELEGRAM_RATE_LIMITS.total });
const at = (ms: number) => new Date(ms);

interface Sent {
  readonly at: number;
  readonly messages: number;
}

/** Reserves as early as the limits allow, moving time by the waits returned; returns the send time. */
async function sendWhenAllowed(scopes: readonly LimitedScope[], now: number, messages = 1): Promise<number> {
  for (let wait = await reserveSend(db, scopes, at(now), messages); wait > 0;) {
    now += wait;
    wait = await reserveSend(db, scopes, at(now), messages);
  }
  return now;
}

/** The most messages in any window of `windowMs` (a send at t counts during [t, t + windowMs)). */
function busiestWindow(sent: readonly Sent[], windowMs: number): number {
  return Math.max(
    ...sent.map(({ at: start }) =>
      sent.filter((s) => s.at >= start && s.at < start + windowMs).reduce((sum, s) => sum + s.messages, 0),
    ),
  );
}

describe('outgoing limits kept in the database', () => {
  it('give a private chat one message a second; a refused send counts nothing', async () => {
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_000), 1)).toBe(0);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_400), 1)).toBe(600);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_999), 1)).toBe(1);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(11_000), 1)).toBe(0);
  });

  it('let five reports of four messages into a group at once, and the next a minute later', async () => {
    for (let report = 0; report < 5; report += 1)
      expect(await reserveSend(db, [chat(GROUP)], at(report * 3_000), 4)).toBe(0);
    expect(await reserveSend(db, [chat(GROUP)], at(15_000), 1)).toBe(45_000);
    // Another group is limited on its own.
    expect(await reserveSend(db, [chat(GROUP - 1)], at(15_000), 10)).toBe(0);
  });

  it('record a send in every scope or in none: the bot refusing leaves the chat untouched', async () => {
    const tight = { limit: 1, windowMs: 1000 };
    const other = { scope: 'other', window: tight };
    expect(await reserveSend(db, [other], at(0), 1)).toBe(0);
    expect(await reserveSend(db, [{ scope: 'first', window: tight }, other], at(0), 1)).toBe(1000);
    expect(await reserveSend(db, [{ scope: 'first', window: tight }], at(0), 1)).toBe(0);
  });

  it('never let more than 20 messages a minute into a group, nor 30 a second out of the bot', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            toGroup: fc.boolean(),
            chatIndex: fc.integer({ min: 0, max: 2 }),
            messages: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 10 })),
            gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 })),
          }),
          { maxLength: 60 },
        ),
        async (sends) => {
          run += 1;
          const byScope = new Map<string, Sent[]>();
          let now = 0;
          for (const { toGroup, chatIndex, messages, gapMs } of sends) {
            const scopes = [
              chat(toGroup ? GROUP - chatIndex : PRIVATE_CHAT + chatIndex, `#${run}`),
              bot(`#${run}`),
            ];
            const sentAt = await sendWhenAllowed(scopes, now + gapMs, messages);
            for (const { scope } of scopes)
              byScope.set(scope, [...(byScope.get(scope) ?? []), { at: sentAt, messages }]);
            now = sentAt;
          }
          for (const [scope, sent] of byScope) {
            if (scope.startsWith('bot')) expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(30);
            else if (scope.startsWith('chat:-')) expect(busiestWindow(sent, 60_000)).toBeLessThanOrEqual(20);
            // A private chat: an album goes alone, once the last second was empty.
            else expect(sent.every((s, i) => i === 0 || s.at - sent[i - 1]!.at >= 1000)).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('forget sends older than every window', async () => {
    await reserveSend(db, [chat(PRIVATE_CHAT)], at(0), 1);
    await reserveSend(db, [chat(GROUP)], at(30_000), 20);
    expect(await purgeOldSends(db, at(60_000))).toBe(1);
    expect(await reserveSend(db, [chat(GROUP)], at(60_000), 1)).toBe(30_000);
  });
});
