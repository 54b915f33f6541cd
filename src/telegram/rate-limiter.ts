/**
 * Outgoing limits of one bot, from Telegram's Bot FAQ
 * (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about 1 message per second
 * to a private chat, at most 20 per minute to a group, about 30 per second in total. Telegram
 * does not publish exact values and still answers 429 at times: this only keeps us below them.
 *
 * Pure: the caller passes the sends still inside a window and the time. The sends themselves are
 * rows in the database, shared by every worker and replica (src/telegram/send-log.ts).
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

/** The longest window: sends older than this count for nothing (housekeeping forgets them). */
export const LONGEST_WINDOW_MS = Math.max(...Object.values(TELEGRAM_RATE_LIMITS).map((w) => w.windowMs));

/** Group and supergroup ids are negative, private chats positive (Bot API ids). */
export function chatWindow(chatId: number): RateWindow {
  return chatId < 0 ? TELEGRAM_RATE_LIMITS.group : TELEGRAM_RATE_LIMITS.privateChat;
}

/** One send: `messages` is how many it counts for (an album counts each item). */
export interface Send {
  readonly at: number;
  readonly messages: number;
}

/**
 * How many ms until `messages` more may go within `window`, given the earlier sends (any order):
 * 0 when they may go at `now`. A send at t counts during [t, t + windowMs). A send heavier than
 * the limit goes alone, once the window is empty.
 */
export function windowDelay(
  window: RateWindow,
  sent: readonly Send[],
  now: number,
  messages: number,
): number {
  if (!Number.isSafeInteger(messages) || messages < 1)
    throw new RangeError('messages must be a positive integer');
  const inWindow = sent.filter((s) => s.at > now - window.windowMs).sort((a, b) => a.at - b.at);
  const counted = inWindow.reduce((sum, s) => sum + s.messages, 0);
  const mustExpire = Math.min(counted + messages - window.limit, counted);
  if (mustExpire <= 0) return 0;
  let expired = 0;
  for (const send of inWindow) {
    expired += send.messages;
    if (expired >= mustExpire) return send.at + window.windowMs - now;
  }
  throw new Error('unreachable: the sends in the window count at least mustExpire messages');
}
