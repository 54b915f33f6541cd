import type { Db } from '../../db/database.ts';
import type { BotApiClient } from '../../telegram/bot-api-client.ts';
import { BOT_COMMANDS } from '../../telegram/bot-commands.ts';
import { currentChatId, recordChatMigration } from '../../telegram/chat-migrations.ts';
import type { OutgoingRateLimiter } from '../../telegram/rate-limiter.ts';
import { CAPTION_MAX_LENGTH, splitText } from '../../telegram/split-text.ts';
import { migratedChatId } from '../../telegram/telegram-failure.ts';
import type { JobPayload } from '../job-catalog.ts';
import { PostponeError } from '../postpone.ts';
import type { JobContext, JobHandler } from '../worker.ts';

export interface TelegramBot {
  readonly client: BotApiClient;
  readonly limiter: OutgoingRateLimiter;
}

export interface TelegramHandlerDeps {
  readonly db: Db;
  /** Bots that can call the Bot API, by slug. */
  readonly bots: ReadonlyMap<string, TelegramBot>;
}

/** Handlers of the `telegram.*` jobs: each one Bot API call, rate-limited, errors classified elsewhere. */
export function telegramHandlers(deps: TelegramHandlerDeps): Record<string, JobHandler> {
  return {
    'telegram.send-message': async (payload, ctx) => {
      await sendMessage(deps, payload as JobPayload<'telegram.send-message'>, ctx);
    },
    'telegram.answer-callback': async (payload) => {
      const { slug, callbackQueryId, text } = payload as JobPayload<'telegram.answer-callback'>;
      await bot(deps, slug).client.answerCallbackQuery({
        callback_query_id: callbackQueryId,
        ...(text ? { text } : {}),
      });
    },
    'telegram.edit-reply-markup': async (payload) => {
      const { slug, chatId, messageId, keyboard } = payload as JobPayload<'telegram.edit-reply-markup'>;
      // Without reply_markup, Telegram removes the buttons.
      await bot(deps, slug).client.editMessageReplyMarkup({
        chat_id: chatId,
        message_id: messageId,
        ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
      });
    },
    'telegram.send-photos': async (payload, ctx) => {
      await sendPhotos(deps, payload as JobPayload<'telegram.send-photos'>, ctx);
    },
    'telegram.set-commands': async (payload) => {
      const { slug } = payload as JobPayload<'telegram.set-commands'>;
      await bot(deps, slug).client.setMyCommands({ commands: [...BOT_COMMANDS] });
    },
  };
}

async function sendMessage(
  deps: TelegramHandlerDeps,
  payload: JobPayload<'telegram.send-message'>,
  ctx: JobContext,
) {
  const { client, limiter } = bot(deps, payload.slug);
  const chatId = await currentChatId(deps.db, payload.slug, payload.chatId);
  const parts = splitText(payload.text);
  const delay = limiter.reserve(chatId, ctx.now.getTime(), parts.length);
  if (delay > 0)
    throw new PostponeError(delay, `outgoing rate limit for chat ${chatId > 0 ? 'private' : 'group'}`);
  const send = (to: number) =>
    sendParts(client, to, parts, payload.keyboard ? { inline_keyboard: payload.keyboard } : undefined);
  try {
    await send(chatId);
  } catch (error) {
    const movedTo = migratedChatId(error);
    if (movedTo === undefined) throw error;
    await recordChatMigration(deps.db, payload.slug, payload.chatId, movedTo, ctx.now);
    ctx.log.warn({ slug: payload.slug }, 'group moved to a supergroup; sending to its new id');
    await send(movedTo);
  }
}

/**
 * Photos Telegram already holds, re-sent by file_id (no upload): one photo with the text as its
 * caption when it fits; otherwise albums of up to 10, then the text as its own message.
 */
async function sendPhotos(
  deps: TelegramHandlerDeps,
  payload: JobPayload<'telegram.send-photos'>,
  ctx: JobContext,
) {
  const { client, limiter } = bot(deps, payload.slug);
  const chatId = await currentChatId(deps.db, payload.slug, payload.chatId);
  const single = payload.fileIds.length === 1 && payload.caption.length <= CAPTION_MAX_LENGTH;
  const weight = single ? 1 : payload.fileIds.length + splitText(payload.caption).length;
  const delay = limiter.reserve(chatId, ctx.now.getTime(), weight);
  if (delay > 0) throw new PostponeError(delay, 'outgoing rate limit for the group');
  if (single) {
    await client.sendPhoto({ chat_id: chatId, photo: payload.fileIds[0]!, caption: payload.caption });
    return;
  }
  for (let start = 0; start < payload.fileIds.length; start += 10) {
    const batch = payload.fileIds.slice(start, start + 10);
    if (batch.length === 1) await client.sendPhoto({ chat_id: chatId, photo: batch[0]! });
    else
      await client.sendMediaGroup({
        chat_id: chatId,
        media: batch.map((id) => ({ type: 'photo' as const, media: id })),
      });
  }
  await sendParts(client, chatId, splitText(payload.caption), undefined);
}

/** Long texts go as several messages; the buttons ride on the last one. */
async function sendParts(
  client: BotApiClient,
  chatId: number,
  parts: string[],
  keyboard: { inline_keyboard: { text: string; callback_data: string }[][] } | undefined,
): Promise<void> {
  for (const [index, text] of parts.entries()) {
    const last = index === parts.length - 1;
    await client.sendMessage({
      chat_id: chatId,
      text,
      ...(last && keyboard ? { reply_markup: keyboard } : {}),
    });
  }
}

function bot(deps: TelegramHandlerDeps, slug: string): TelegramBot {
  const found = deps.bots.get(slug);
  // Only reachable if a job outlived its bot's removal from BOTS: fail it rather than loop.
  if (!found) throw new Error(`no Bot API client for slug ${slug}`);
  return found;
}
