import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { type TelegramBot, telegramHandlers } from '../../src/telegram/telegram-handlers.ts';
import { PostponeError } from '../../src/queue/postpone.ts';
import type { HandlerSet, JobContext } from '../../src/queue/job-handler.ts';
import { createBotApiClient } from '../../src/telegram/bot-api-client.ts';
import { currentChatId } from '../../src/telegram/chat-migrations.ts';
import { OutgoingRateLimiter } from '../../src/telegram/rate-limiter.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';
import { STAND_IN_TOKEN, TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';

const OLD_GROUP = -1001111111111;
const NEW_GROUP = -1009876543210;

let telegram: TelegramStandIn;
let db: Db;
let clock: TestClock;
let handlers: HandlerSet;
beforeAll(async () => {
  telegram = await TelegramStandIn.start();
});
afterAll(async () => telegram.close());
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
  const client = createBotApiClient({ apiUrl: telegram.apiUrl, token: STAND_IN_TOKEN });
  const bots = new Map<string, TelegramBot>([['etm', { client, limiter: new OutgoingRateLimiter() }]]);
  handlers = telegramHandlers({ db, bots });
});
afterEach(() => db.destroy());

const run = (type: string, payload: unknown) =>
  handlers[type]!.run(payload, { now: clock.now(), log: pino({ level: 'silent' }) } as unknown as JobContext);
const chatsOf = (method: string) => telegram.callsTo(method).map((call) => Number(call.params.chat_id));

describe('Telegram job handlers', () => {
  it('follow a group that became a supergroup, for messages and for photos alike', async () => {
    const photo = telegram.addFile(Buffer.from([0xff, 0xd8, 0xff, 1]), { mimeType: 'image/jpeg' });
    const before = { messages: chatsOf('sendMessage').length, photos: chatsOf('sendPhoto').length };
    telegram.failNext('sendPhoto', { kind: 'migrated', toChatId: NEW_GROUP });
    await run('telegram.send-photos', {
      slug: 'etm',
      chatId: OLD_GROUP,
      fileIds: [photo.file_id],
      caption: 'SAV',
    });
    expect(chatsOf('sendPhoto').slice(before.photos)).toEqual([OLD_GROUP, NEW_GROUP]);
    expect(await currentChatId(db, 'etm', OLD_GROUP)).toBe(NEW_GROUP);

    clock.advance(60_000);
    await run('telegram.send-message', { slug: 'etm', chatId: OLD_GROUP, text: 'suite' });
    expect(chatsOf('sendMessage').slice(before.messages)).toEqual([NEW_GROUP]);
  });

  it('postpone a send over the outgoing rate limit instead of sending it', async () => {
    const chatId = 222222222;
    await run('telegram.send-message', { slug: 'etm', chatId, text: 'un' });
    const sent = chatsOf('sendMessage').length;
    await expect(run('telegram.send-message', { slug: 'etm', chatId, text: 'deux' })).rejects.toBeInstanceOf(
      PostponeError,
    );
    expect(chatsOf('sendMessage')).toHaveLength(sent);
    clock.advance(1_000);
    await run('telegram.send-message', { slug: 'etm', chatId, text: 'deux' });
    expect(chatsOf('sendMessage')).toHaveLength(sent + 1);
  });
});
