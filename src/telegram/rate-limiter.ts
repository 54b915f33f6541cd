/**
 * Outgoing limits of one bot, from Telegram's Bot FAQ
 * (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about 1 message per second
 * to a private chat, at most 20 per minute to a group, about 30 per second in total. Telegram
 * does not publish exact values and still answers 429 at times: this only keeps us below them.
 *
 * Pure: the paces that keep each limit, and the terms of one reservation. The reservation runs as
 * one SQL statement per scope in src/telegram/send-pace.ts, so that every worker of every replica
 * shares the pace.
 */

export interface RateWindow {
  /** Messages allowed in any sliding window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
}

export const TELEGRAM_RATE_LIMITS = {
  privateChat: { limit: 1, windowMs: 1_000 },
  group: { limit: 20, windowMs: 60_000 },
  total: { limit: 30, windowMs: 1_000 },
} as const satisfies Record<string, RateWindow>;

/**
 * A leaky bucket (the generic cell rate algorithm, https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm):
 * up to `burst` messages at once, then one every `intervalMs`. Its whole state is one time, "busy
 * until": each message sent pushes it `intervalMs` further, from now if it had passed.
 */
export interface Pace {
  readonly intervalMs: number;
  readonly burst: number;
}

/**
 * The fastest pace that allows `burst` messages at once and never more than `window.limit` in any
 * window of `window.windowMs`: a bucket lets through at most `burst + ⌈windowMs / intervalMs⌉ − 1`
 * messages in such a window (its burst, then one per interval after the first).
 */
export function paceWithin(window: RateWindow, burst: number): Pace {
  if (!Number.isSafeInteger(window.limit) || window.limit < 1)
    throw new RangeError('a rate limit must allow at least one message');
  if (!Number.isFinite(window.windowMs) || window.windowMs <= 0)
    throw new RangeError('a rate window must be a positive number of ms');
  if (!Number.isSafeInteger(burst) || burst < 1 || burst > window.limit)
    throw new RangeError('a burst must be between 1 and the limit');
  return { intervalMs: Math.ceil(window.windowMs / (window.limit - burst + 1)), burst };
}

/**
 * The paces we keep. A private chat gets one message a second. A group gets a report at once (an
 * album of up to 9 photos and its text), then about one message every 5.5 s: never more than 20
 * in a minute, as Telegram asks (a burst of 20 would have to leave the rest of the minute empty).
 * The bot as a whole: 15 at once, then 16 a second.
 */
export const TELEGRAM_PACES = {
  privateChat: paceWithin(TELEGRAM_RATE_LIMITS.privateChat, 1),
  group: paceWithin(TELEGRAM_RATE_LIMITS.group, 10),
  bot: paceWithin(TELEGRAM_RATE_LIMITS.total, 15),
} as const satisfies Record<string, Pace>;

/** Group and supergroup ids are negative, private chats positive (Bot API ids). */
export function chatPace(chatId: number): Pace {
  return chatId < 0 ? TELEGRAM_PACES.group : TELEGRAM_PACES.privateChat;
}

/**
 * Reserving `messages` (an album counts each item) succeeds while the bucket has room for them,
 * i.e. while "busy until" is at most `now + roomMs`; a send as heavy as the burst or heavier
 * needs an empty bucket, and one heavier goes alone. A success moves "busy until" to
 * `max(busyUntil, now) + costMs`.
 */
export function reservationTerms(pace: Pace, messages: number): { costMs: number; roomMs: number } {
  if (!Number.isSafeInteger(messages) || messages < 1)
    throw new RangeError('messages must be a positive integer');
  return {
    costMs: messages * pace.intervalMs,
    roomMs: Math.max(pace.burst - messages, 0) * pace.intervalMs,
  };
}
