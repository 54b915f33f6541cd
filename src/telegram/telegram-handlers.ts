import type { Db } from '../db/database.ts';
import { defineHandlers, type HandlerSet, type JobContext } from '../queue/job-handler.ts';
import type { PayloadOf } from '../queue/job-kind.ts';
import { takeTurnInLane } from '../queue/job-store.ts';
import { heldUntil, holdUntil } from '../queue/not-before.ts';
import { PostponeError, WaitForJobError } from '../queue/postpone.ts';
import type { BotApiClient } from './bot-api-client.ts';
import { BOT_COMMANDS } from './bot-commands.ts';
import { currentChatId, recordChatMigration } from './chat-migrations.ts';
import { chatWindow, TELEGRAM_RATE_LIMITS } from './rate-limiter.ts';
import { reserveSend } from './send-log.ts';
import { CAPTION_MAX_LENGTH, splitText } from './split-text.ts';
import { TelegramApiError } from './telegram-errors.ts';
import { migratedChatId } from './telegram-failure.ts';
import { telegramJobs } from './telegram-jobs.ts';

type Payload<T extends keyof typeof telegramJobs> = PayloadOf<(typeof telegramJobs)[T]>;

export interface TelegramBot {
  readonly client: BotApiClient;
}

export interface TelegramHandlerDeps {
  readonly db: Db;
  /** Bots that can call the Bot API, by slug. */
  readonly bots: ReadonlyMap<string, TelegramBot>;
  /** Told of each 429 Telegram answered (metrics). */
  readonly onRateLimited?: (method: string) => void;
}

/**
 * One Bot API call of a job: `messages` is how many messages it counts for the outgoing pace
 * (an album counts each photo).
 */
interface Step {
  readonly messages: number;
  readonly send: (client: BotApiClient, chatId: number) => Promise<unknown>;
}

/**
 * Handlers of the `telegram.*` jobs. A job that makes several calls (a long text in parts, an
 * album then its text) records each delivered step, so a retry resumes after the last one.
 * The messages of one chat go out in the order their jobs were enqueued, each job's steps
 * together: a job lets every earlier message job of its chat end first (sent, or dead), whatever
 * postponed or retried it, in any worker of any replica, and none goes while another one of the
 * chat is between its steps (`waitForEarlierMessages`).
 * Messages keep the outgoing limits of their chat and of the bot, counted in the database for
 * every replica (src/telegram/send-log.ts). A 429 holds the chat (or the bot) in the database
 * until `retry_after`: every send checks it first. Either way the job postpones itself without
 * using an attempt. Other errors are judged by src/telegram/telegram-failure.ts.
 */
export function telegramHandlers(deps: TelegramHandlerDeps): HandlerSet {
  return defineHandlers(telegramJobs, {
    'telegram.send-message': async (payload, ctx) => {
      const parts = splitText(payload.text);
      const keyboard = payload.keyboard ? { inline_keyboard: payload.keyboard } : undefined;
      await deliver(deps, payload, textSteps(parts, keyboard), ctx);
    },
    'telegram.send-photos': async (payload, ctx) => {
      await deliver(deps, payload, photoSteps(payload), ctx);
    },
    // Not messages: they go out at once, outside the per-chat pace and order (a button press
    // gets its answer without waiting for the message before it; an edit changes a message the
    // chat already shows).
    'telegram.answer-callback': async ({ slug, callbackQueryId, text }, ctx) => {
      await callBot(deps, slug, [botScope(slug)], ctx, (client) =>
        client.answerCallbackQuery({ callback_query_id: callbackQueryId, ...(text ? { text } : {}) }),
      );
    },
    'telegram.edit-reply-markup': async ({ slug, chatId, messageId, keyboard }, ctx) => {
      await callBot(deps, slug, [chatScope(slug, chatId), botScope(slug)], ctx, (client) =>
        // Without reply_markup, Telegram removes the buttons.
        client.editMessageReplyMarkup({
          chat_id: chatId,
          message_id: messageId,
          ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
        }),
      );
    },
    'telegram.set-commands': async ({ slug }, ctx) => {
      await callBot(deps, slug, [botScope(slug)], ctx, (client) =>
        client.setMyCommands({ commands: [...BOT_COMMANDS] }),
      );
    },
  });
}

/** Long texts go as several messages; the buttons ride on the last one. */
function textSteps(
  parts: readonly string[],
  keyboard: { inline_keyboard: { text: string; callback_data: string }[][] } | undefined,
): Step[] {
  return parts.map((text, index) => ({
    messages: 1,
    send: (client, chatId) =>
      client.sendMessage({
        chat_id: chatId,
        text,
        ...(index === parts.length - 1 && keyboard ? { reply_markup: keyboard } : {}),
      }),
  }));
}

/**
 * Photos and documents Telegram already holds, re-sent by file_id (no upload), each by its own
 * kind: Telegram refuses a document's file_id in sendPhoto or a photo album ("type of file
 * mismatch"), and an album mixes photos with photos, documents with documents only
 * (https://core.telegram.org/bots/api#sendmediagroup). One file with the text as its caption when
 * it fits; otherwise albums of up to 10, then the text as its own message(s).
 */
function photoSteps({ fileIds, documentIds = [], caption }: Payload<'telegram.send-photos'>): Step[] {
  if (fileIds.length + documentIds.length === 1 && caption.length <= CAPTION_MAX_LENGTH) {
    const send: Step['send'] =
      fileIds.length === 1
        ? (client, chatId) => client.sendPhoto({ chat_id: chatId, photo: fileIds[0]!, caption })
        : (client, chatId) => client.sendDocument({ chat_id: chatId, document: documentIds[0]!, caption });
    return [{ messages: 1, send }];
  }
  return [
    ...albumSteps('photo', fileIds),
    ...albumSteps('document', documentIds),
    ...textSteps(splitText(caption), undefined),
  ];
}

/** Albums of up to 10 files of one kind, a lone file sent by itself. */
function albumSteps(type: 'photo' | 'document', ids: readonly string[]): Step[] {
  const steps: Step[] = [];
  for (let start = 0; start < ids.length; start += 10) {
    const batch = ids.slice(start, start + 10);
    steps.push({ messages: batch.length, send: (client, chatId) => sendBatch(client, chatId, type, batch) });
  }
  return steps;
}

async function sendBatch(client: BotApiClient, chatId: number, type: 'photo' | 'document', batch: string[]) {
  if (batch.length > 1) {
    const media =
      type === 'photo'
        ? batch.map((id) => ({ type: 'photo' as const, media: id }))
        : batch.map((id) => ({ type: 'document' as const, media: id }));
    return client.sendMediaGroup({ chat_id: chatId, media });
  }
  return type === 'photo'
    ? client.sendPhoto({ chat_id: chatId, photo: batch[0]! })
    : client.sendDocument({ chat_id: chatId, document: batch[0]! });
}

/**
 * Sends the steps not yet delivered, to where the group now lives, once it is this job's turn in
 * the chat (no earlier message job of it left, none sending), no 429 holds the chat or the bot,
 * and the outgoing limits have room for all of them (else the job waits, or is postponed, without
 * using an attempt), recording each delivered step before the next.
 */
async function deliver(
  deps: TelegramHandlerDeps,
  target: { slug: string; chatId: number },
  steps: readonly Step[],
  ctx: JobContext,
): Promise<void> {
  const delivered = deliveredSteps(ctx);
  if (delivered >= steps.length) return;
  await waitForEarlierMessages(deps, target, ctx);
  let chatId = await currentChatId(deps.db, target.slug, target.chatId);
  const scopes = [chatScope(target.slug, chatId), botScope(target.slug)] as const;
  await postponeIfHeld(deps, scopes, ctx);
  const messages = steps.slice(delivered).reduce((sum, step) => sum + step.messages, 0);
  const limited = [
    { scope: scopes[0], window: chatWindow(chatId) },
    { scope: scopes[1], window: TELEGRAM_RATE_LIMITS.total },
  ];
  // Dated when it is made: dated at the run's start, the reservation would leave the window early.
  const delay = await reserveSend(deps.db, limited, ctx.clock(), messages);
  if (delay > 0)
    throw new PostponeError(delay, `outgoing rate limit for a ${chatId > 0 ? 'private' : 'group'} chat`);
  for (let index = delivered; index < steps.length; index++) {
    ctx.signal.throwIfAborted();
    chatId = await sendStep(deps, target, chatId, steps[index]!, ctx);
    await ctx.saveProgress({ delivered: index + 1 });
  }
}

/**
 * The chat's messages in the order their jobs were enqueued, each job's parts together: this job
 * takes its turn in the chat's lane (src/queue/job-store.ts), waiting first for the earlier
 * message jobs of the chat that have not ended, then for the one sending (its parts, a 429 or a
 * 5xx between them). A postponed job keeps its place: newer jobs wait behind it, rather than take
 * the room in the pace that a postponement left to whichever was claimed first (claims go by
 * run_at, and a postponement moves it on). The lane is the chat id the job was given (a group's
 * old id after it became a supergroup), as every job for it is.
 */
async function waitForEarlierMessages(
  deps: TelegramHandlerDeps,
  target: { slug: string; chatId: number },
  ctx: JobContext,
): Promise<void> {
  const lane = chatScope(target.slug, target.chatId);
  const ahead = await takeTurnInLane(deps.db, ctx.job, {
    lane,
    types: MESSAGE_JOBS,
    belongs: sameChat(target),
  });
  if (ahead !== undefined)
    throw new WaitForJobError(ahead, `another message to this chat goes first (job ${ahead})`);
}

/** The job kinds that send messages into a chat, one lane per chat: the same priority. */
const MESSAGE_JOBS = ['telegram.send-message', 'telegram.send-photos'] as const;

const sameChat =
  (target: { slug: string; chatId: number }) =>
  ({ payload }: { payload: string }): boolean => {
    const other = JSON.parse(payload) as { slug?: unknown; chatId?: unknown };
    return other.slug === target.slug && other.chatId === target.chatId;
  };

function deliveredSteps(ctx: JobContext): number {
  const progress = ctx.progress();
  if (typeof progress !== 'object' || progress === null || !('delivered' in progress)) return 0;
  return typeof progress.delivered === 'number' ? progress.delivered : 0;
}

/** One step; again to the new id when the group became a supergroup (stored for later sends). */
async function sendStep(
  deps: TelegramHandlerDeps,
  target: { slug: string; chatId: number },
  chatId: number,
  step: Step,
  ctx: JobContext,
): Promise<number> {
  const { client } = bot(deps, target.slug);
  try {
    await withHolds(deps, chatScope(target.slug, chatId), ctx, () => step.send(client, chatId));
    return chatId;
  } catch (error) {
    const movedTo = migratedChatId(error);
    if (movedTo === undefined) throw error;
    await recordChatMigration(deps.db, target.slug, target.chatId, movedTo, ctx.now);
    ctx.log.warn({ slug: target.slug }, 'group moved to a supergroup; sending to its new id');
    await withHolds(deps, chatScope(target.slug, movedTo), ctx, () => step.send(client, movedTo));
    return movedTo;
  }
}

/** A call that is not a message: no pace, but the holds a 429 left still apply. */
async function callBot(
  deps: TelegramHandlerDeps,
  slug: string,
  scopes: readonly string[],
  ctx: JobContext,
  call: (client: BotApiClient) => Promise<unknown>,
): Promise<void> {
  const { client } = bot(deps, slug);
  await postponeIfHeld(deps, scopes, ctx);
  await withHolds(deps, scopes[0]!, ctx, () => call(client));
}

async function postponeIfHeld(deps: TelegramHandlerDeps, scopes: readonly string[], ctx: JobContext) {
  const now = ctx.clock();
  const hold = await heldUntil(deps.db, scopes, now);
  if (hold) throw new PostponeError(hold.until - now.getTime(), hold.reason);
}

/**
 * Runs a call; on a 429 with `retry_after`, holds `scope` until then for every worker (it
 * survives a restart) and postpones this job to that time without using an attempt. `retry_after`
 * counts from Telegram's answer (https://core.telegram.org/bots/api#responseparameters), which
 * may come long after the run started (the steps before it, a slow upload): the hold starts from
 * the clock read then, not from `ctx.now`.
 */
async function withHolds(
  deps: TelegramHandlerDeps,
  scope: string,
  ctx: JobContext,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof TelegramApiError) || error.errorCode !== 429) throw error;
    deps.onRateLimited?.(error.method);
    if (error.retryAfter === undefined) throw error;
    const waitMs = error.retryAfter * 1000;
    const reason = `Telegram asked to wait ${error.retryAfter} s (429 on ${error.method})`;
    await holdUntil(deps.db, scope, new Date(ctx.clock().getTime() + waitMs), reason);
    throw new PostponeError(waitMs, reason);
  }
}

/** Hold scopes: Telegram limits each chat, and each bot as a whole. */
const chatScope = (slug: string, chatId: number) => `telegram:${slug}:chat:${chatId}`;
const botScope = (slug: string) => `telegram:${slug}:bot`;

function bot(deps: TelegramHandlerDeps, slug: string): TelegramBot {
  const found = deps.bots.get(slug);
  // Only reachable if a job outlived its bot's removal from BOTS: it ends dead after its attempts,
  // visible in the admin API, and can be retried once the slug is served again.
  if (!found) throw new Error(`no Bot API client for slug ${slug}`);
  return found;
}
