import { CAPTION_MAX_LENGTH, MESSAGE_MAX_LENGTH } from './split-text.ts';
import type { Message, Update } from './update-schema.ts';

/** What was cut from an Update's texts, so that the technician can be told. */
export interface CappedUpdate {
  readonly update: Update;
  /** `text` or `caption` when that field was longer than Telegram allows; undefined if nothing was cut. */
  readonly cut: 'text' | 'caption' | undefined;
}

/**
 * The Update with its message text cut to 4,096 and its caption to 1,024 UTF-16 code units, the
 * most Telegram lets a user send (https://core.telegram.org/bots/api#sendmessage, `text` and
 * `caption`). A body up to the HTTP limit could carry a megabyte of text: what the conversation
 * reads, stores and parses is bounded instead. The Update is still handled (a refusal would make
 * Telegram send it again and again); the caller tells the technician what was cut.
 */
export function capUpdateTexts(update: Update): CappedUpdate {
  const field = update.message ? 'message' : update.edited_message ? 'edited_message' : undefined;
  if (!field) return { update, cut: undefined };
  const message = update[field]!;
  const text = cap(message.text, MESSAGE_MAX_LENGTH);
  const caption = cap(message.caption, CAPTION_MAX_LENGTH);
  if (text === message.text && caption === message.caption) return { update, cut: undefined };
  const capped: Message = {
    ...message,
    ...(text === undefined ? {} : { text }),
    ...(caption === undefined ? {} : { caption }),
  };
  return { update: { ...update, [field]: capped }, cut: text === message.text ? 'caption' : 'text' };
}

/** At most `maxLength` code units, never half of a surrogate pair. */
function cap(text: string | undefined, maxLength: number): string | undefined {
  if (text === undefined || text.length <= maxLength) return text;
  const end = isHighSurrogate(text.charCodeAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** What the technician reads when part of the message was cut, in the conversation's French. */
export function cutNotice(cut: 'text' | 'caption'): string {
  return cut === 'text'
    ? `✂️ Message trop long : seuls ses ${MESSAGE_MAX_LENGTH} premiers caractères ont été pris en compte.`
    : `✂️ Légende trop longue : seuls ses ${CAPTION_MAX_LENGTH} premiers caractères ont été pris en compte.`;
}
