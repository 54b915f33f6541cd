/**
 * Outgoing limits of one bot, from Telegram's Bot FAQ
 * (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about 1 message per second
 * to a private chat, at most 20 per minute to a group, about 30 per second in total. Telegram
 * does not publish exact values and still answers 429 at times: this only keeps us below them.
 *
 * Pure: the caller passes the time, nothing here sets a timer.
 */

export interface RateWindow {
  /** Messages allowed in any sliding window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
}

export interface OutgoingRateLimits {
  readonly privateChat: RateWindow;
  readonly group: RateWindow;
  readonly total: RateWindow;
}

export const TELEGRAM_RATE_LIMITS: OutgoingRateLimits = {
  privateChat: { limit: 1, windowMs: 1_000 },
  group: { limit: 20, windowMs: 60_000 },
  total: { limit: 30, windowMs: 1_000 },
};

/** One limiter per bot token: Telegram counts per bot. */
export class OutgoingRateLimiter {
  private readonly limits: OutgoingRateLimits;
  private readonly total: SendLog;
  private readonly chats = new Map<number, SendLog>();
  private readonly sweepEveryMs: number;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(limits: Partial<OutgoingRateLimits> = {}) {
    this.limits = { ...TELEGRAM_RATE_LIMITS, ...limits };
    for (const window of [this.limits.privateChat, this.limits.group, this.limits.total])
      assertValidWindow(window);
    this.total = new SendLog(this.limits.total);
    this.sweepEveryMs = Math.max(this.limits.privateChat.windowMs, this.limits.group.windowMs);
  }

  /**
   * Asks to send `weight` messages (an album counts each item) to `chatId` at `now` (ms).
   * Returns 0 and records the send when it may go now; otherwise returns how many ms to wait
   * and records nothing. A send heavier than a limit goes alone once its window is empty.
   */
  reserve(chatId: number, now: number, weight = 1): number {
    if (!Number.isSafeInteger(weight) || weight < 1)
      throw new RangeError('weight must be a positive integer');
    this.sweep(now);
    const chat = this.chats.get(chatId) ?? new SendLog(this.chatWindow(chatId));
    const delay = Math.max(chat.delayFor(weight, now), this.total.delayFor(weight, now));
    if (delay > 0) return delay;
    chat.record(weight, now);
    this.total.record(weight, now);
    this.chats.set(chatId, chat);
    return 0;
  }

  /** How many chats are remembered: those with a send still inside their window (roughly). */
  get trackedChats(): number {
    return this.chats.size;
  }

  /** Group and supergroup ids are negative, private chats positive (Bot API ids). */
  private chatWindow(chatId: number): RateWindow {
    return chatId < 0 ? this.limits.group : this.limits.privateChat;
  }

  /** Forgets chats whose sends all left their window; at most once per longest window. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.sweepEveryMs) return;
    this.lastSweep = now;
    for (const [chatId, log] of this.chats) {
      if (log.isEmptyAt(now)) this.chats.delete(chatId);
    }
  }
}

/** Send times inside one sliding window, oldest first; never more than the limit or one heavy send. */
class SendLog {
  private readonly window: RateWindow;
  private readonly sentAt: number[] = [];

  constructor(window: RateWindow) {
    this.window = window;
  }

  delayFor(weight: number, now: number): number {
    this.forgetBefore(now);
    const excess = this.sentAt.length + weight - this.window.limit;
    const mustExpire = Math.min(excess, this.sentAt.length);
    if (mustExpire <= 0) return 0;
    return this.sentAt[mustExpire - 1]! + this.window.windowMs - now;
  }

  record(weight: number, now: number): void {
    for (let i = 0; i < weight; i += 1) this.sentAt.push(now);
    // A clock that stepped back must not break the oldest-first order the delay relies on.
    if (this.sentAt.length > weight && this.sentAt[this.sentAt.length - weight - 1]! > now) {
      this.sentAt.sort((a, b) => a - b);
    }
  }

  isEmptyAt(now: number): boolean {
    this.forgetBefore(now);
    return this.sentAt.length === 0;
  }

  /** A send at t counts during [t, t + windowMs). */
  private forgetBefore(now: number): void {
    const horizon = now - this.window.windowMs;
    let expired = 0;
    while (expired < this.sentAt.length && this.sentAt[expired]! <= horizon) expired += 1;
    if (expired > 0) this.sentAt.splice(0, expired);
  }
}

function assertValidWindow(window: RateWindow): void {
  if (!Number.isSafeInteger(window.limit) || window.limit < 1) {
    throw new RangeError('a rate limit must allow at least one message');
  }
  if (!Number.isFinite(window.windowMs) || window.windowMs <= 0) {
    throw new RangeError('a rate window must be a positive number of ms');
  }
}
