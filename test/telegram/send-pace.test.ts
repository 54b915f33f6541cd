import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import {
  chatPace,
  type Pace,
  TELEGRAM_PACES,
  TELEGRAM_RATE_LIMITS,
} from '../../src/telegram/rate-limiter.ts';
import { type PacedScope, purgeIdlePaces, reserveSend } from '../../src/telegram/send-pace.ts';
import { memoryDatabase } from '../support/database.ts';

const GROUP = -1001234567890;
const PRIVATE_CHAT = 111111111;

let db: Db;
beforeEach(async () => {
  db = await memoryDatabase();
});
afterEach(() => db.destroy());

const chat = (chatId: number, run = ''): PacedScope => ({
  scope: `chat:${chatId}${run}`,
  pace: chatPace(chatId),
});
const bot = (run = ''): PacedScope => ({ scope: `bot${run}`, pace: TELEGRAM_PACES.bot });
const at = (ms: number) => new Date(ms);

interface Sent {
  readonly at: number;
  readonly messages: number;
}

/** Reserves as early as the pace allows, moving time by the waits it returns; returns the send time. */
async function sendWhenAllowed(scopes: readonly PacedScope[], now: number, messages = 1): Promise<number> {
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

describe('the shared outgoing pace', () => {
  it('gives a private chat one message a second; a refused reservation counts nothing', async () => {
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_000), 1)).toBe(0);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_400), 1)).toBe(600);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(10_999), 1)).toBe(1);
    expect(await reserveSend(db, [chat(PRIVATE_CHAT)], at(11_000), 1)).toBe(0);
  });

  it('sends a report to an idle group at once, and the next one when the bucket has room again', async () => {
    // An album of 9 photos and its text.
    expect(await reserveSend(db, [chat(GROUP)], at(0), 10)).toBe(0);
    expect(await reserveSend(db, [chat(GROUP)], at(0), 1)).toBe(5455);
    expect(await reserveSend(db, [chat(GROUP)], at(5455), 1)).toBe(0);
    // Another group is paced on its own.
    expect(await reserveSend(db, [chat(GROUP - 1)], at(5455), 10)).toBe(0);
  });

  it('reserves in every scope or in none: the bot refusing leaves the chat untouched', async () => {
    const tight: Pace = { intervalMs: 1000, burst: 1 };
    const other = { scope: 'other', pace: tight };
    expect(await reserveSend(db, [other], at(0), 1)).toBe(0);
    expect(await reserveSend(db, [{ scope: 'first', pace: tight }, other], at(0), 1)).toBe(1000);
    expect(await reserveSend(db, [{ scope: 'first', pace: tight }], at(0), 1)).toBe(0);
  });

  it('never lets more than 20 messages a minute into a group, nor 30 a second out of the bot', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            toGroup: fc.boolean(),
            chatIndex: fc.integer({ min: 0, max: 2 }),
            messages: fc.integer({ min: 1, max: 10 }),
            gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 })),
          }),
          { maxLength: 60 },
        ),
        async (sends) => {
          run += 1;
          const byScope = new Map<string, Sent[]>();
          let now = 0;
          for (const { toGroup, chatIndex, messages, gapMs } of sends) {
            const target = chat(toGroup ? GROUP - chatIndex : PRIVATE_CHAT + chatIndex, `#${run}`);
            const scopes = [target, bot(`#${run}`)];
            const sentAt = await sendWhenAllowed(scopes, now + gapMs, messages);
            for (const { scope } of scopes)
              byScope.set(scope, [...(byScope.get(scope) ?? []), { at: sentAt, messages }]);
            now = sentAt;
          }
          for (const [scope, sent] of byScope) {
            if (scope.startsWith('bot')) expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(30);
            else if (scope.startsWith('chat:-')) expect(busiestWindow(sent, 60_000)).toBeLessThanOrEqual(20);
            // A private chat: one message a second, an album goes alone once the chat is idle.
            else
              expect(
                sent.every((s, i) => i === 0 || s.at - sent[i - 1]!.at >= sent[i - 1]!.messages * 1000),
              ).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('spreads a report and 30 more messages to one group to at most 20 a minute, no slower', async () => {
    const sent: Sent[] = [{ at: await sendWhenAllowed([chat(GROUP)], 0, 10), messages: 10 }];
    for (let i = 0; i < 30; i += 1)
      sent.push({ at: await sendWhenAllowed([chat(GROUP)], sent.at(-1)!.at), messages: 1 });
    expect(busiestWindow(sent, TELEGRAM_RATE_LIMITS.group.windowMs)).toBe(20);
    expect(sent.slice(1, 4).map((s) => s.at)).toEqual([5455, 10_910, 16_365]);
  });

  it('keeps 90 private chats at once to 30 a second for the bot', async () => {
    const sent: Sent[] = [];
    for (let i = 0; i < 90; i += 1) {
      const sentAt = await sendWhenAllowed([chat(PRIVATE_CHAT + i), bot()], sent.at(-1)?.at ?? 0);
      sent.push({ at: sentAt, messages: 1 });
    }
    expect(busiestWindow(sent, TELEGRAM_RATE_LIMITS.total.windowMs)).toBeLessThanOrEqual(30);
    // 15 at once, then one every 63 ms.
    expect(sent[14]!.at).toBe(0);
    expect(sent[15]!.at).toBe(63);
  });

  it('forgets the scopes idle since before now', async () => {
    await reserveSend(db, [chat(PRIVATE_CHAT), chat(GROUP)], at(0), 1);
    expect(await purgeIdlePaces(db, at(1000))).toBe(1);
    expect(await reserveSend(db, [chat(GROUP)], at(1000), 10)).toBe(4455);
  });
});
