import Type from 'typebox';
import { defineJobs } from '../queue/job-kind.ts';

export const Slug = Type.String({ pattern: '^[a-z0-9-]+$' });
export const ChatId = Type.Integer();

/** Inline keyboard markup as the Bot API takes it: rows of callback buttons. */
export const InlineKeyboardSchema = Type.Array(
  Type.Array(
    Type.Object({ text: Type.String(), callback_data: Type.String({ minLength: 1, maxLength: 64 }) }),
  ),
);

/** The Bot API calls the service makes in the background, one kind per visible effect. */
export const telegramJobs = defineJobs({
  'telegram.answer-callback': {
    schema: Type.Object({ slug: Slug, callbackQueryId: Type.String(), text: Type.Optional(Type.String()) }),
    priority: 100,
    // Telegram refuses answers to queries older than about 15 s: retrying for long is pointless.
    maxAttempts: 3,
  },
  'telegram.edit-reply-markup': {
    schema: Type.Object({
      slug: Slug,
      chatId: ChatId,
      messageId: Type.Integer(),
      keyboard: Type.Optional(InlineKeyboardSchema),
    }),
    priority: 90,
    maxAttempts: 5,
  },
  'telegram.send-message': {
    schema: Type.Object({
      slug: Slug,
      chatId: ChatId,
      text: Type.String({ minLength: 1 }),
      keyboard: Type.Optional(InlineKeyboardSchema),
    }),
    priority: 80,
    maxAttempts: 10,
  },
  'telegram.send-photos': {
    schema: Type.Object({
      slug: Slug,
      chatId: ChatId,
      /** Photos; a document's file_id is refused by sendPhoto and in a photo album. */
      fileIds: Type.Array(Type.String()),
      /** Files Telegram holds as documents (pictures sent "as a file"): sendDocument, document albums. */
      documentIds: Type.Optional(Type.Array(Type.String())),
      caption: Type.String({ minLength: 1 }),
    }),
    // As telegram.send-message's: the messages of one chat go in the order they were enqueued,
    // and a claim by priority would take a newer text before an older album
    // (src/queue/job-store.ts, lanes).
    priority: 80,
    maxAttempts: 10,
  },
  'telegram.set-commands': {
    schema: Type.Object({ slug: Slug }),
    priority: 0,
    maxAttempts: 10,
  },
});
