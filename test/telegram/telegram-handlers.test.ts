import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import type { JobKind, PayloadOf } from '../../src/queue/job-kind.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import { Worker } from '../../src/queue/worker.ts';
import { currentChatId } from '../../src/telegram/chat-migrations.ts';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';
import { telegramTestWorker } from '../support/test-worker.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

const OLD_GROUP = -1001111111111;
const NEW_GROUP = -1009876543210;
const TECHNICIAN = 222222222;

let telegram: TelegramStandIn;
let db: Db;
let clock: TestClock;
beforeAll(async () => {
  telegram = await TelegramStandIn.start();
});
afterAll(async () => telegram.close());
beforeEach(async () => {
  db = await memoryDatabase();
  clock = new TestClock();
});
afterEach(() => db.destroy());

/** A worker as the service builds it (its own client: a fresh process). */
function worker(on: { db: Db; apiUrl: string } = { db, apiUrl: telegram.apiUrl }): Worker {
  return telegramTestWorker({ ...on, clock: clock.now });
}

let keys = 0;
const job = <K extends JobKind>(kind: K, payload: PayloadOf<K>) =>
  enqueue(db, kind, { idempotencyKey: `job-${++keys}`, payload }, clock.now());
const sendMessage = (chatId: number, text: string) =>
  job(telegramJobs['telegram.send-message'], { slug: 'etm', chatId, text });
const calls = (method: string) => telegram.callsTo(method).length;
const chatsOf = (method: string) => telegram.callsTo(method).map((call) => Number(call.params.chat_id));
const photos = (n: number, on = telegram) =>
  Array.from(
    { length: n },
    () => on.addFile(Buffer.from([0xff, 0xd8, 0xff, 1]), { mimeType: 'image/jpeg' }).file_id,
  );

describe('Telegram job handlers', () => {
  it('follow a group that became a supergroup, for messages and for photos alike', async () => {
    const w = worker();
    const before = { messages: chatsOf('sendMessage').length, photos: chatsOf('sendPhoto').length };
    telegram.failNext('sendPhoto', { kind: 'migrated', toChatId: NEW_GROUP });
    await job(telegramJobs['telegram.send-photos'], {
      slug: 'etm',
      chatId: OLD_GROUP,
      fileIds: photos(1),
      caption: 'SAV',
    });
    await w.runOnce();
    expect(chatsOf('sendPhoto').slice(before.photos)).toEqual([OLD_GROUP, NEW_GROUP]);
    expect(await currentChatId(db, 'etm', OLD_GROUP)).toBe(NEW_GROUP);

    clock.advance(60_000);
    await sendMessage(OLD_GROUP, 'suite');
    await w.runOnce();
    expect(chatsOf('sendMessage').slice(before.messages)).toEqual([NEW_GROUP]);
  });

  it('postpone a send over the outgoing pace instead of sending it, without using an attempt', async () => {
    const w = worker();
    await sendMessage(TECHNICIAN, 'un');
    await sendMessage(TECHNICIAN, 'deux');
    const sent = calls('sendMessage');
    await w.runOnce();
    expect(calls('sendMessage')).toBe(sent + 1);
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    clock.advance(1_000);
    await w.runOnce();
    expect(calls('sendMessage')).toBe(sent + 2);
  });
});

describe('one visible effect per step', () => {
  it('a 502 on the text after an 11-photo album sends the text again, never the album', async () => {
    const w = worker();
    const before = {
      groups: calls('sendMediaGroup'),
      photos: calls('sendPhoto'),
      texts: calls('sendMessage'),
    };
    telegram.failNext('sendMessage', { kind: 'serverError', status: 502 });
    await job(telegramJobs['telegram.send-photos'], {
      slug: 'etm',
      chatId: OLD_GROUP - 7,
      fileIds: photos(11),
      caption: '🚨 SAV — Müller',
    });
    await w.runOnce();
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 1 });
    clock.advance(15 * 60_000);
    await w.runOnce();
    expect((await listJobs(db))[0]!.state).toBe('done');
    expect(calls('sendMediaGroup') - before.groups).toBe(1);
    expect(calls('sendPhoto') - before.photos).toBe(1);
    // One refused (502), one delivered.
    expect(calls('sendMessage') - before.texts).toBe(2);
  });

  it('a 429 on part 2 of a long text sends part 1 once, and waits without using an attempt', async () => {
    const w = worker();
    const chat = TECHNICIAN + 1;
    const before = calls('sendMessage');
    telegram.failNext('sendMessage', { kind: 'tooManyRequests', retryAfter: 30 }, 1, 1);
    await sendMessage(chat, `${'a'.repeat(4000)}\n${'b'.repeat(100)}`);
    await w.runOnce();
    expect(calls('sendMessage') - before).toBe(2);
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    clock.advance(30_000);
    await w.runOnce();
    expect((await listJobs(db))[0]!.state).toBe('done');
    const texts = telegram
      .callsTo('sendMessage')
      .slice(before)
      .map((call) => String(call.params.text)[0]);
    expect(texts).toEqual(['a', 'b', 'b']);
  });
});

describe('durable outgoing limits', () => {
  it('a 429 retry_after on one message holds every later send to that chat, across a restart', async () => {
    const chat = TECHNICIAN + 2;
    const before = calls('sendMessage');
    telegram.failNext('sendMessage', { kind: 'tooManyRequests', retryAfter: 30 });
    await sendMessage(chat, 'un');
    await worker().runOnce();
    clock.advance(2_000);
    await sendMessage(chat, 'deux');
    // A new process: nothing in memory remembers the 429, the database does.
    await worker().runOnce();
    expect(calls('sendMessage') - before).toBe(1);
    const jobs = await listJobs(db);
    expect(jobs.every((row) => row.state === 'pending' && row.attempts === 0)).toBe(true);
    clock.advance(28_000);
    const restarted = worker();
    await restarted.runOnce();
    // "un" went first; "deux" then keeps the usual pace of one message a second.
    clock.advance(1_000);
    await restarted.runOnce();
    expect(
      telegram
        .callsTo('sendMessage')
        .slice(before)
        .map((call) => call.params.text),
    ).toEqual(['un', 'un', 'deux']);
  });

  it('a 429 met late in a multi-step send holds the chat for retry_after from the answer, not from the start', async () => {
    const w = worker();
    const group = OLD_GROUP - 3;
    const before = calls('sendMessage');
    telegram.failNext('sendMessage', { kind: 'tooManyRequests', retryAfter: 10 }, 1, 1);
    // Part 1 takes 20 s: the 429 on part 2 comes 20 s after the run started.
    void telegram.nextCall('sendMessage').then(() => clock.advance(20_000));
    await sendMessage(group, `${'a'.repeat(4000)}\n${'b'.repeat(100)}`);
    await w.runOnce();
    expect(calls('sendMessage') - before).toBe(2);
    // 21 s after the start, 1 s after the 429: the chat is still held for 9 s.
    clock.advance(1_000);
    await sendMessage(group, 'autre rapport');
    await w.runOnce();
    const texts = telegram
      .callsTo('sendMessage')
      .slice(before)
      .map((call) => String(call.params.text).slice(0, 5));
    expect(texts).toEqual(['aaaaa', 'bbbbb']);
    clock.advance(9_000);
    await w.runOnce();
    expect(
      telegram
        .callsTo('sendMessage')
        .slice(before + 2)
        .map((call) => String(call.params.text).slice(0, 5)),
    ).toEqual(['bbbbb', 'autre']);
  });

  it('a button press is answered at once: callback answers and markup edits are not paced', async () => {
    const w = worker();
    const chat = TECHNICIAN + 3;
    const before = { messages: calls('sendMessage'), answers: calls('answerCallbackQuery') };
    await sendMessage(chat, 'Menu');
    await w.runOnce();
    clock.advance(1_000);
    await job(telegramJobs['telegram.answer-callback'], { slug: 'etm', callbackQueryId: 'q1' });
    await job(telegramJobs['telegram.edit-reply-markup'], { slug: 'etm', chatId: chat, messageId: 1 });
    await sendMessage(chat, 'Envoie les photos');
    expect(await w.runOnce()).toBe(3);
    expect(calls('answerCallbackQuery') - before.answers).toBe(1);
    expect(calls('sendMessage') - before.messages).toBe(2);
    expect((await listJobs(db)).every((row) => row.state === 'done')).toBe(true);
  });
});

describe('one pace for every replica', () => {
  it('two workers on one database never send to a chat faster than its pace', async () => {
    // On PostgreSQL, two connection pools: two replicas. SQLite has one process: two workers.
    const url = await freshDatabaseUrl();
    const first = await openDatabase(url);
    const second = testDialect === 'postgres' ? await openDatabase(url) : first;
    const wire = await TelegramStandIn.start({ now: () => clock.now().getTime() });
    try {
      const workers = [first, second].map((handle) => worker({ db: handle, apiUrl: wire.apiUrl }));
      for (let i = 0; i < 20; i += 1) {
        for (const chatId of i < 6 ? [TECHNICIAN, OLD_GROUP] : [OLD_GROUP]) {
          await enqueue(
            first,
            telegramJobs['telegram.send-message'],
            { idempotencyKey: `paced-${chatId}-${i}`, payload: { slug: 'etm', chatId, text: `n°${i}` } },
            clock.now(),
          );
        }
      }
      await enqueue(
        first,
        telegramJobs['telegram.send-photos'],
        {
          idempotencyKey: 'paced-album',
          payload: { slug: 'etm', chatId: OLD_GROUP, fileIds: photos(4, wire), caption: 'SAV' },
        },
        clock.now(),
      );
      // Both workers run whatever is due at the same instants, then time moves on.
      for (let step = 0; step < 2000 && wire.calls.length < 28; step += 1) {
        await Promise.all(workers.map((w) => w.runOnce()));
        clock.advance(250);
      }
      const privateAt = wire
        .callsTo('sendMessage')
        .filter((c) => c.params.chat_id === TECHNICIAN)
        .map((c) => c.at);
      expect(privateAt).toHaveLength(6);
      expect(privateAt.slice(1).every((t, i) => t - privateAt[i]! >= 1000)).toBe(true);
      const group = wire.calls.filter((c) => c.params.chat_id === OLD_GROUP);
      const weight = (c: (typeof group)[number]) => (c.method === 'sendMediaGroup' ? 4 : 1);
      expect(group.reduce((sum, c) => sum + weight(c), 0)).toBe(25);
      for (const start of group) {
        const inMinute = group.filter((c) => c.at >= start.at && c.at < start.at + 60_000);
        expect(inMinute.reduce((sum, c) => sum + weight(c), 0)).toBeLessThanOrEqual(20);
      }
    } finally {
      await wire.close();
      if (second !== first) await second.destroy();
      await first.destroy();
    }
  });
});
