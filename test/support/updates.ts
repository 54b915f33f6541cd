import type { Update } from '../../src/telegram/update-schema.ts';

/** Builders for Telegram Updates with fake ids, shaped as the Bot API sends them. */

export const TECHNICIAN = { id: 111111111, is_bot: false, first_name: 'Jean', last_name: 'Test' };
export const PRIVATE_CHAT = { id: TECHNICIAN.id, type: 'private', first_name: 'Jean' };
export const GROUP_CHAT = { id: -1001234567890, type: 'supergroup', title: 'Chat Chantier (test)' };

let nextUpdateId = 500_000;
export const freshUpdateId = () => nextUpdateId++;

const DATE = 1774449000; // 2026-03-25T14:30:00Z

export function textUpdate(text: string, extra: Partial<Update> = {}): Update {
  const id = freshUpdateId();
  return {
    update_id: id,
    message: { message_id: id, date: DATE, chat: PRIVATE_CHAT, from: TECHNICIAN, text },
    ...extra,
  };
}

export function groupTextUpdate(text: string): Update {
  const id = freshUpdateId();
  return { update_id: id, message: { message_id: id, date: DATE, chat: GROUP_CHAT, from: TECHNICIAN, text } };
}

export function buttonUpdate(data: string, messageId = 42): Update {
  const id = freshUpdateId();
  return {
    update_id: id,
    callback_query: {
      id: `cbq-${id}`,
      from: TECHNICIAN,
      chat_instance: '-987654321',
      data,
      message: { message_id: messageId, date: DATE, chat: PRIVATE_CHAT },
    },
  };
}

/** 2026-03-25 14:30:12 UTC = 15:30:12 in Paris: the date of the photos below. */
export const PHOTO_DATE = 1774449012;

/** A photo message from the technician, optionally an album item and with a caption. */
export function photoUpdate(
  fileId: string,
  uniqueId: string,
  messageId: number,
  extra: { caption?: string; album?: string; date?: number } = {},
): Update {
  return {
    update_id: freshUpdateId(),
    message: {
      message_id: messageId,
      date: extra.date ?? PHOTO_DATE,
      chat: PRIVATE_CHAT,
      from: TECHNICIAN,
      photo: [
        { file_id: `${fileId}-small`, file_unique_id: `${uniqueId}-s`, width: 90, height: 68 },
        { file_id: fileId, file_unique_id: uniqueId, width: 1280, height: 960 },
      ],
      ...(extra.caption ? { caption: extra.caption } : {}),
      ...(extra.album ? { media_group_id: extra.album } : {}),
    },
  };
}
