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
  | (Base & MediaFields & { readonly kind: 'video' })
  | (Base & MediaFields & { readonly kind: 'document'; readonly image: ImageHint })
  | (Base & { readonly kind: 'voice' })
  | (Base & { readonly kind: 'edited'; readonly text: string | undefined })
  | (Base & { readonly kind: 'other' })
  | (Base & ButtonFields & { readonly kind: 'button' });

interface MediaFields {
  readonly media: MediaFile;
  readonly caption: string | undefined;
  readonly mediaGroupId: string | undefined;
  /**
   * When the picture was taken, as far as Telegram knows (Unix seconds): the message's date, or
   * for a forwarded message the original's (`forward_origin.date`), not the time of the forward.
   */
  readonly takenAt: number;
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
export type IgnoredReason =
  'unsupported-update' | 'not-private-chat' | 'no-sender' | 'service-message' | 'live-location';

/**
 * Telegram caps a message's text at 4,096 characters and a caption at 1,024
 * (https://core.telegram.org/bots/api#sendmessage, #sendphoto). Anything longer did not come
 * from Telegram; it is cut here so that nothing downstream (job payloads) ever sees more.
 */
export const TEXT_MAX = 4096;
export const CAPTION_MAX = 1024;

/**
 * The fields that make a message something a person sent. A message with none of them is a
 * service message (pinned message, auto-delete timer, `write_access_allowed`, forum topics…):
 * Telegram writes it, the technician never typed it, so it gets no answer.
 * https://core.telegram.org/bots/api#message
 */
const CONTENT_FIELDS = [
  'text',
  'photo',
  'document',
  'voice',
  'video',
  'video_note',
  'audio',
  'animation',
  'sticker',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
  'game',
  'story',
  'invoice',
  'paid_media',
  'checklist',
] as const;

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
  // A shared live location is edited by Telegram every few seconds: not the technician typing.
  if (edited && 'location' in message) return { kind: 'ignored', reason: 'live-location' };
  if (!CONTENT_FIELDS.some((field) => field in message))
    return { kind: 'ignored', reason: 'service-message' };
  if (edited) return { ...base, kind: 'edited', text: capped(message.text ?? message.caption, TEXT_MAX) };
  if (message.photo && message.photo.length > 0) {
    // Telegram lists sizes from smallest to largest: the last one is the original.
    const largest = message.photo[message.photo.length - 1]!;
    const media = toMediaFile(largest, 'image/jpeg', undefined);
    return { ...base, ...mediaFields(message, media), kind: 'photo' };
  }
  const video = message.video ?? message.video_note;
  if (video) {
    const media = toMediaFile(video, video.mime_type ?? 'video/mp4', video.file_name);
    return { ...base, ...mediaFields(message, media), kind: 'video' };
  }
  if (message.document && !message.animation && isVideoType(message.document.mime_type)) {
    const { mime_type, file_name } = message.document;
    return {
      ...base,
      ...mediaFields(message, toMediaFile(message.document, mime_type, file_name)),
      kind: 'video',
    };
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
  if (message.text !== undefined) return fromText(base, capped(message.text, TEXT_MAX)!);
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
  return {
    media,
    caption: capped(message.caption, CAPTION_MAX),
    mediaGroupId: message.media_group_id,
    takenAt: message.forward_origin?.date ?? message.forward_date ?? message.date,
  };
}

/** Cuts at a code point boundary, so that a cut never leaves half an emoji. */
function capped(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/u.test(cut) ? cut.slice(0, -1) : cut;
}

const isVideoType = (mimeType: string | undefined) => mimeType?.startsWith('video/') === true;

/** The picture types the archive files (see `sniffPhotoExtension` in src/nextcloud/report-paths.ts). */
const STORABLE_IMAGE_TYPES = /^image\/(jpe?g|pjpeg|png|heic|heif|heic-sequence|heif-sequence|webp)$/i;
const IMAGE_EXTENSIONS = /\.(jpe?g|png|heic|heif|webp)$/i;

/**
 * Whether a document is a picture the archive can file. GIF, SVG, TIFF and files without any
 * type are refused at once: the archive could not store them, and a report must not be made of
 * them. Only `application/octet-stream` (iOS "Send as File") is left to the file's bytes.
 */
export function imageHint(mimeType: string | undefined, fileName: string | undefined): ImageHint {
  if (mimeType !== undefined && STORABLE_IMAGE_TYPES.test(mimeType)) return 'image';
  if (fileName && IMAGE_EXTENSIONS.test(fileName)) return 'image';
  if (mimeType === 'application/octet-stream') return 'unknown';
  return 'not-image';
}
