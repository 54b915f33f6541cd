import type { Db } from '../db/database.ts';
import { defineHandlers, type HandlerSet, type JobContext } from '../queue/job-handler.ts';
import type { PayloadOf } from '../queue/job-kind.ts';
import { PostponeError } from '../queue/postpone.ts';
import type { BotApiClient } from './bot-api-client.ts';
import { BOT_COMMANDS } from './bot-commands.ts';
import { currentChatId, recordChatMigration } from './chat-migrations.ts';
import type { OutgoingRateLimiter } from './rate-limiter.ts';
import { CAPTION_MAX_LENGTH, splitText } from './split-text.ts';
import { migratedChatId } from './telegram-failure.ts';
import { telegramJobs } from './telegram-jobs.ts';

type Payload<T extends keyof typeof telegramJobs> = PayloadOf<(typeof telegramJobs)[T]>;

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
export function telegramHandlers(deps: TelegramHandlerDeps): HandlerSet {
  return defineHandlers(telegramJobs, {
    'telegram.send-message': async (payload, ctx) => {
      await sendMessage(deps, payload, ctx);
    },
    'telegram.answer-callback': async ({ slug, callbackQueryId, text }) => {
      await bot(deps, slug).client.answerCallbackQuery({
        callback_query_id: callbackQueryId,
        ...(text ? { text } : {}),
      });
    },
    'telegram.edit-reply-markup': async ({ slug, chatId, messageId, keyboard }) => {
      // Without reply_markup, Telegram removes the buttons.
      await bot(deps, slug).client.editMessageReplyMarkup({
        chat_id: chatId,
        message_id: messageId,
        ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
      });
    },
    'telegram.send-photos': async (payload, ctx) => {
      await sendPhotos(deps, payload, ctx);
    },
    'telegram.set-commands': async ({ slug }) => {
      await bot(deps, slug).client.setMyCommands({ commands: [...BOT_COMMANDS] });
    },
  });
}

async function sendMessage(
  deps: TelegramHandlerDeps,
  payload: Payload<'telegram.send-message'>,
  ctx: JobContext,
) {
  const parts = splitText(payload.text);
  const keyboard = payload.keyboard ? { inline_keyboard: payload.keyboard } : undefined;
  await sendToChat(deps, payload, parts.length, ctx, (client, chatId) =>
    sendParts(client, chatId, parts, keyboard),
  );
}

/**
 * Photos Telegram already holds, re-sent by file_id (no upload): one photo with the text as its
 * caption when it fits; otherwise albums of up to 10, then the text as its own message.
 */
async function sendPhotos(
  deps: TelegramHandlerDeps,
  payload: Payload<'telegram.send-photos'>,
  ctx: JobContext,
) {
  const { fileIds, caption } = payload;
  if (fileIds.length === 1 && caption.length <= CAPTION_MAX_LENGTH) {
    await sendToChat(deps, payload, 1, ctx, async (client, chatId) => {
      await client.sendPhoto({ chat_id: chatId, photo: fileIds[0]!, caption });
    });
    return;
  }
  const parts = splitText(caption);
  await sendToChat(deps, payload, fileIds.length + parts.length, ctx, async (client, chatId) => {
    for (let start = 0; start < fileIds.length; start += 10) {
      const batch = fileIds.slice(start, start + 10);
      if (batch.length === 1) await client.sendPhoto({ chat_id: chatId, photo: batch[0]! });
      else
        await client.sendMediaGroup({
          chat_id: chatId,
          media: batch.map((id) => ({ type: 'photo' as const, media: id })),
        });
    }
    await sendParts(client, chatId, parts, undefined);
  });
}

/**
 * Every send to a chat: to where the group now lives, within the outgoing rate limits (else the
 * job is postponed without using an attempt), and again to the new id when Telegram answers that
 * the group became a supergroup (the new id is stored for every later send).
 */
async function sendToChat(
  deps: TelegramHandlerDeps,
  target: { slug: string; chatId: number },
  messages: number,
  ctx: JobContext,
  send: (client: BotApiClient, chatId: number) => Promise<void>,
): Promise<void> {
  const { client, limiter } = bot(deps, target.slug);
  const chatId = await currentChatId(deps.db, target.slug, target.chatId);
  const delay = limiter.reserve(chatId, ctx.now.getTime(), messages);
  if (delay > 0)
    throw new PostponeError(delay, `outgoing rate limit for a ${chatId > 0 ? 'private' : 'group'} chat`);
  try {
    await send(client, chatId);
  } catch (error) {
    const movedTo = migratedChatId(error);
    if (movedTo === undefined) throw error;
    await recordChatMigration(deps.db, target.slug, target.chatId, movedTo, ctx.now);
    ctx.log.warn({ slug: target.slug }, 'group moved to a supergroup; sending to its new id');
    await send(client, movedTo);
  }
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
  // Only reachable if a job outlived its bot's removal from BOTS: it ends dead after its attempts,
  // visible in the admin API, and can be retried once the slug is served again.
  if (!found) throw new Error(`no Bot API client for slug ${slug}`);
  return found;
}
