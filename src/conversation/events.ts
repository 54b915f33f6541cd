import type { CallbackQuery, Message, Update } from '../telegram/update-schema.ts';

/**
 * What a technician did, derived from a Telegram Update by a pure mapping.
 * The conversation core only ever sees these, never raw Updates.
 */

export interface Sender {
  readonly userId: number;
  readonly firstName: string;
  readonly lastName: string | undefined;
  readonly username: string | undefined;
}

/** Where and when a message was sent (`date` in Unix seconds, as Telegram gives it). */
export interface Origin {
  readonly chatId: number;
  readonly messageId: number;
  readonly date: number;
}

export interface MediaFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly fileSize: number | undefined;
  readonly mimeType: string | undefined;
  readonly fileName: string | undefined;
}

interface Base {
  readonly sender: Sender;
  readonly origin: Origin;
}

export type Event =
  | (Base & { readonly kind: 'command'; readonly command: string; readonly args: string })
  | (Base & { readonly kind: 'text'; readonly text: string })
  | (Base & MediaFields & { readonly kind: 'photo' })
  | (Base & MediaFields & { readonly kind: 'document'; readonly image: ImageHint })
  | (Base & { readonly kind: 'voice' })
  | (Base & { readonly kind: 'edited'; readonly text: string | undefined })
  | (Base & { readonly kind: 'other' })
  | (Base & ButtonFields & { readonly kind: 'button' });

interface MediaFields {
  readonly media: MediaFile;
  readonly caption: string | undefined;
  readonly mediaGroupId: string | undefined;
}

interface ButtonFields {
  readonly callbackQueryId: string;
  readonly data: string;
  /** False when Telegram no longer shows us the message that carried the button. */
  readonly messageAccessible: boolean;
}

/**
 * Whether a document is a picture, from what the sender's app declared: `unknown` (e.g.
 * `application/octet-stream` from iOS "Send as File") is settled later from the file's bytes.
 */
export type ImageHint = 'image' | 'not-image' | 'unknown';

export type Ignored = { readonly kind: 'ignored'; readonly reason: IgnoredReason };
export type IgnoredReason = 'unsupported-update' | 'not-private-chat' | 'no-sender';

export function toEvent(update: Update): Event | Ignored {
  if (update.message) return fromMessage(update.message, false);
  if (update.edited_message) return fromMessage(update.edited_message, true);
  if (update.callback_query) return fromCallbackQuery(update.callback_query);
  return { kind: 'ignored', reason: 'unsupported-update' };
}

function fromMessage(message: Message, edited: boolean): Event | Ignored {
  if (message.chat.type !== 'private') return { kind: 'ignored', reason: 'not-private-chat' };
  if (!message.from) return { kind: 'ignored', reason: 'no-sender' };
  const base: Base = {
    sender: toSender(message.from),
    origin: { chatId: message.chat.id, messageId: message.message_id, date: message.date },
  };
  if (edited) return { ...base, kind: 'edited', text: message.text ?? message.caption };
  if (message.photo && message.photo.length > 0) {
    // Telegram lists sizes from smallest to largest: the last one is the original.
    const largest = message.photo[message.photo.length - 1]!;
    const media = toMediaFile(largest, 'image/jpeg', undefined);
    return { ...base, ...mediaFields(message, media), kind: 'photo' };
  }
  if (message.document) {
    const { mime_type, file_name } = message.document;
    const media = toMediaFile(message.document, mime_type, file_name);
    return {
      ...base,
      ...mediaFields(message, media),
      kind: 'document',
      image: imageHint(mime_type, file_name),
    };
  }
  if (message.voice) return { ...base, kind: 'voice' };
  if (message.text !== undefined) return fromText(base, message.text);
  return { ...base, kind: 'other' };
}

function fromText(base: Base, text: string): Event {
  const command = /^\/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (command)
    return { ...base, kind: 'command', command: command[1]!.toLowerCase(), args: command[2] ?? '' };
  return { ...base, kind: 'text', text };
}

function fromCallbackQuery(query: CallbackQuery): Event | Ignored {
  const chat = query.message?.chat;
  if (chat && chat.type !== 'private') return { kind: 'ignored', reason: 'not-private-chat' };
  return {
    kind: 'button',
    sender: toSender(query.from),
    origin: {
      chatId: chat?.id ?? query.from.id,
      messageId: query.message?.message_id ?? 0,
      date: query.message?.date ?? 0,
    },
    callbackQueryId: query.id,
    data: query.data ?? '',
    messageAccessible: query.message !== undefined && query.message.date !== 0,
  };
}

function toSender(user: NonNullable<Message['from']>): Sender {
  return { userId: user.id, firstName: user.first_name, lastName: user.last_name, username: user.username };
}

function toMediaFile(
  file: { file_id: string; file_unique_id: string; file_size?: number | undefined },
  mimeType: string | undefined,
  fileName: string | undefined,
): MediaFile {
  return {
    fileId: file.file_id,
    fileUniqueId: file.file_unique_id,
    fileSize: file.file_size,
    mimeType,
    fileName,
  };
}

function mediaFields(message: Message, media: MediaFile): MediaFields {
  return { media, caption: message.caption, mediaGroupId: message.media_group_id };
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|heic|heif|webp)$/i;

export function imageHint(mimeType: string | undefined, fileName: string | undefined): ImageHint {
  if (mimeType?.startsWith('image/')) return 'image';
  if (fileName && IMAGE_EXTENSIONS.test(fileName)) return 'image';
  if (mimeType === undefined || mimeType === 'application/octet-stream') return 'unknown';
  return 'not-image';
}
