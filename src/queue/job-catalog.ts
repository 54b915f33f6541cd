import Type, { type Static, type TSchema } from 'typebox';

/**
 * Every kind of job: its payload schema (checked at enqueue, so a bad payload fails the
 * transaction that asked for it, not a worker hours later), its priority (higher runs first: a
 * button answer must not queue behind photo uploads) and its number of attempts.
 */
export interface JobSpec {
  readonly schema: TSchema;
  readonly priority: number;
  readonly maxAttempts: number;
}

const Slug = Type.String({ pattern: '^[a-z0-9-]+$' });
const ChatId = Type.Integer();

/** Inline keyboard markup as the Bot API takes it: rows of callback buttons. */
export const InlineKeyboardSchema = Type.Array(
  Type.Array(
    Type.Object({ text: Type.String(), callback_data: Type.String({ minLength: 1, maxLength: 64 }) }),
  ),
);

export const jobCatalog = {
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
  'conversation.album-close': {
    schema: Type.Object({ slug: Slug, chatId: ChatId, userId: Type.Integer(), mediaGroupId: Type.String() }),
    priority: 70,
    maxAttempts: 20,
  },
  'report.process': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 50,
    maxAttempts: 12,
  },
  'report.archive-photo': {
    schema: Type.Object({ reportId: Type.Integer(), messageId: Type.Integer() }),
    priority: 20,
    maxAttempts: 12,
  },
  'report.write-markdown': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 20,
    maxAttempts: 12,
  },
  'report.deck-card': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 30,
    maxAttempts: 12,
  },
  'report.notify': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 40,
    maxAttempts: 12,
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
    priority: 60,
    maxAttempts: 10,
  },
  'report.add-media': {
    schema: Type.Object({
      reportId: Type.Integer(),
      messageIds: Type.Array(Type.Integer(), { minItems: 1 }),
    }),
    priority: 50,
    maxAttempts: 12,
  },
  'assistant.answer-report': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 10,
    maxAttempts: 6,
  },
  'assistant.answer-question': {
    schema: Type.Object({
      slug: Slug,
      chatId: ChatId,
      question: Type.String({ minLength: 1, maxLength: 4096 }),
      /** The answer log's key: one answer per question message. */
      key: Type.String(),
      /** The known fix the technician picked among those the assistant offered (its note ref). */
      note: Type.Optional(Type.String({ pattern: '^[0-9a-f]{12}$' })),
    }),
    priority: 40,
    maxAttempts: 4,
  },
  'assistant.deck-comment': {
    schema: Type.Object({ reportId: Type.Integer() }),
    priority: 5,
    maxAttempts: 8,
  },
  'assistant.sync': {
    schema: Type.Object({}),
    priority: 5,
    maxAttempts: 5,
  },
  'telegram.set-commands': {
    schema: Type.Object({ slug: Slug }),
    priority: 0,
    maxAttempts: 10,
  },
} satisfies Record<string, JobSpec>;

export type JobType = keyof typeof jobCatalog;
export type JobPayload<T extends JobType> = Static<(typeof jobCatalog)[T]['schema']>;
