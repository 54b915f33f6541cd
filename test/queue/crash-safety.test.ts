import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { menuKeyboard, texts } from '../../src/conversation/texts.ts';
import { type Db, openDatabase } from '../../src/db/database.ts';
import type { JobRow } from '../../src/queue/job-store.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import { type ServiceProcess, startServiceProcess, within } from '../support/service-process.ts';
import { type RecordedCall, STAND_IN_TOKEN, TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';
import { freshUpdateId } from '../support/updates.ts';
import { type DeckStandIn, startDeckStandIn } from '../../stand-ins/deck-stand-in.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import { startWebDavServer, type WebDavServer } from '../../stand-ins/webdav-server.ts';

/**
 * The real service, a child process, is killed with SIGKILL while jobs are in flight and started
 * again on the same SQLite file. No job is lost, and a Bot API call is made again only when its
 * job was still `running` at the kill and had not recorded that step as delivered; nothing else
 * is sent twice.
 *
 * A killed worker's `running` jobs become claimable when their lock runs out (`lockMs`, 5 min).
 * Rather than wait that long, the test ages those locks in the database after the kill, which is
 * the state the passing of time would leave; the restarted service does the reclaiming itself.
 */

const SAV_GROUP = -1002222222222;
const MAGASIN_GROUP = -1003333333333;
/** Bounds each wait on an event; on a 2-core CI machine a start takes about a second. */
const WAIT_MS = 15_000;

interface Technician {
  readonly id: number;
  readonly firstName: string;
}
const technician = (id: number, firstName: string): Technician => ({ id, firstName });

let standIn: TelegramStandIn;
let workDir: string;
let dbPath: string;
const children: ServiceProcess[] = [];

beforeEach(async () => {
  standIn = await TelegramStandIn.start();
  workDir = mkdtempSync(join(tmpdir(), 'etm-crash-'));
  dbPath = join(workDir, 'db.sqlite');
});

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill('SIGKILL');
  await standIn.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** The service on the test's database, talking to the stand-in. */
async function startService(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const service = await startServiceProcess({
    dbPath,
    env: {
      BOTS: 'etm-terrain',
      BOT_ETM_TERRAIN_TOKEN: STAND_IN_TOKEN,
      BOT_ETM_TERRAIN_GROUP_SAV: String(SAV_GROUP),
      BOT_ETM_TERRAIN_GROUP_MAGASIN: String(MAGASIN_GROUP),
      TELEGRAM_API_URL: standIn.apiUrl,
      // No Ollama here: the assistant's jobs would never finish.
      ASSISTANT_ENABLED: 'false',
      ...env,
    },
  });
  children.push(service);
  return service;
}

async function killHard(service: ServiceProcess): Promise<void> {
  const exit = await service.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
}

async function stopGracefully(service: ServiceProcess): Promise<void> {
  const exit = await within(service.stop(), WAIT_MS, 'graceful exit');
  expect(exit.code).toBe(0);
}

// --- The database, read (and the dead worker's locks aged) while no service runs on it ---

async function withDatabase<T>(use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(`sqlite:${dbPath}`);
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}

const allJobs = () => withDatabase((db) => db.selectFrom('jobs').selectAll().orderBy('id').execute());
const seenUpdates = () =>
  withDatabase((db) => db.selectFrom('processed_updates').select('update_id').orderBy('update_id').execute());

/** What `lockMs` of wall-clock time does to the jobs of a worker that died holding them. */
async function expireLocksOfKilledWorker(): Promise<void> {
  await withDatabase((db) =>
    db
      .updateTable('jobs')
      .set({ locked_until: Date.now() - 1 })
      .where('state', '=', 'running')
      .execute(),
  );
}

// --- Updates as Telegram sends them, from several technicians (one private chat each) ---

const nowSeconds = () => Math.floor(Date.now() / 1000);
const privateChat = (t: Technician) => ({ id: t.id, type: 'private', first_name: t.firstName });
const user = (t: Technician) => ({ id: t.id, is_bot: false, first_name: t.firstName });

function message(t: Technician, text: string): Update {
  return incoming(t, { text });
}

function incoming(t: Technician, content: { text: string } | { photo: unknown[] }): Update {
  const id = freshUpdateId();
  return {
    update_id: id,
    message: { message_id: id, date: nowSeconds(), chat: privateChat(t), from: user(t), ...content },
  } as Update;
}

function photo(t: Technician, fileId: string, fileUniqueId: string): Update {
  return incoming(t, {
    photo: [{ file_id: fileId, file_unique_id: fileUniqueId, width: 1280, height: 960 }],
  });
}

function tap(t: Technician, data: string, menuMessageId: number): Update {
  const id = freshUpdateId();
  return {
    update_id: id,
    callback_query: {
      id: `cbq-${id}`,
      from: user(t),
      chat_instance: `-${t.id}`,
      data,
      message: { message_id: menuMessageId, date: nowSeconds(), chat: privateChat(t) },
    },
  };
}

/** The menu the bot showed this technician earlier (before the test's service ever ran). */
async function menuShownEarlier(t: Technician): Promise<number> {
  const response = await fetch(`${standIn.apiUrl}/bot${STAND_IN_TOKEN}/sendMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      chat_id: t.id,
      text: texts.greeting(t.firstName),
      reply_markup: { inline_keyboard: menuKeyboard },
    }),
  });
  const body = (await response.json()) as { result: { message_id: number } };
  return body.result.message_id;
}

async function postAll(service: ServiceProcess, updates: readonly Update[]): Promise<string[]> {
  const bodies: string[] = [];
  for (const update of updates) {
    const { status, body } = await service.post(update);
    expect(status).toBe(200);
    bodies.push(body);
  }
  return bodies;
}

const syncText = (body: string) => (JSON.parse(body) as { text: string }).text;

// --- Remote calls, and the calls each job makes ---

/** What identifies one remote effect: the method and the parameters that name its target. */
function callKey(call: RecordedCall): string {
  const p = call.params;
  switch (call.method) {
    case 'sendMessage':
      return key(call.method, p.chat_id, p.text);
    case 'answerCallbackQuery':
      return key(call.method, p.callback_query_id);
    case 'editMessageReplyMarkup':
      return key(call.method, p.chat_id, p.message_id);
    case 'sendMediaGroup':
      return key(
        call.method,
        p.chat_id,
        (p.media as { media: string }[]).map((item) => item.media),
      );
    default:
      return key(call.method);
  }
}

/** The calls a job makes when it runs through (none for jobs that only touch the database). */
function callKeysOfJob(job: JobRow): string[] {
  const p = JSON.parse(job.payload) as Record<string, unknown>;
  switch (job.type) {
    case 'telegram.send-message':
      return [key('sendMessage', p.chatId, p.text)];
    case 'telegram.answer-callback':
      return [key('answerCallbackQuery', p.callbackQueryId)];
    case 'telegram.edit-reply-markup':
      return [key('editMessageReplyMarkup', p.chatId, p.messageId)];
    case 'telegram.set-commands':
      return [key('setMyCommands')];
    case 'telegram.send-photos':
      // Two to ten photos: one album, then the text as its own message.
      return [key('sendMediaGroup', p.chatId, p.fileIds), key('sendMessage', p.chatId, p.caption)];
    default:
      expect(job.type, `job ${job.id}`).toMatch(/^(report|conversation)\./);
      return [];
  }
}

const key = (method: string, ...target: unknown[]) => JSON.stringify([method, ...target]);
const methodOf = (wanted: string) => (JSON.parse(wanted) as string[])[0]!;

/** Calls the stand-in received since the ledger was opened, told apart by whether they were answered. */
class CallLedger {
  private readonly from: number;
  /** Calls left hanging: the service never got their answer. */
  readonly unanswered = new Set<RecordedCall>();

  constructor() {
    this.from = standIn.calls.length;
  }

  get calls(): RecordedCall[] {
    return standIn.calls.slice(this.from);
  }

  answered(wanted: string): number {
    return this.calls.filter((call) => callKey(call) === wanted && !this.unanswered.has(call)).length;
  }

  hung(wanted: string): number {
    return this.calls.filter((call) => callKey(call) === wanted && this.unanswered.has(call)).length;
  }

  /** Resolves once a call with this key has been answered. */
  async delivered(wanted: string): Promise<void> {
    const arrived = async () => {
      while (this.answered(wanted) === 0) await standIn.nextCall(methodOf(wanted));
    };
    await within(arrived(), WAIT_MS, `answered call ${wanted}`);
  }
}

/** Resolves with the first call to `method` (already made or still to come) that matches. */
async function untilCall(method: string, matches: (call: RecordedCall) => boolean): Promise<RecordedCall> {
  for (;;) {
    const found = standIn.callsTo(method).find(matches);
    if (found) return found;
    await standIn.nextCall(method);
  }
}

/**
 * The at-least-once rule, checked on everything that crossed the wire: every job ended `done`,
 * each of its calls was answered at least once, more than once only if the job was still
 * running at the kill, and no call was made that no job asked for.
 */
function expectAtLeastOnceOnly(ledger: CallLedger, jobs: JobRow[], runningAtKill: Set<number>): void {
  expect(jobs.map((job) => `${job.id} ${job.type} ${job.state}`)).toEqual(
    jobs.map((job) => `${job.id} ${job.type} done`),
  );
  const expectedKeys = new Set<string>();
  for (const job of jobs) {
    for (const wanted of callKeysOfJob(job)) {
      expectedKeys.add(wanted);
      const answered = ledger.answered(wanted);
      const what = `${wanted} of job ${job.id} ${job.type}`;
      expect(answered, what).toBeGreaterThanOrEqual(1);
      if (runningAtKill.has(job.id)) expect(answered, what).toBeLessThanOrEqual(2);
      else expect([answered, ledger.hung(wanted)], what).toEqual([1, 0]);
    }
  }
  const stray = ledger.calls.map(callKey).filter((made) => !expectedKeys.has(made));
  expect(stray).toEqual([]);
}

/**
 * Waits until every call of these jobs was answered once, then until every job has ended: a job
 * whose call went out before the kill runs again after the restart, and may first wait out the
 * chat's pace, which the database keeps across the restart (src/telegram/send-log.ts).
 */
async function allDelivered(ledger: CallLedger, jobs: JobRow[]): Promise<void> {
  for (const job of jobs) for (const wanted of callKeysOfJob(job)) await ledger.delivered(wanted);
  await vi.waitFor(
    async () =>
      expect((await allJobs()).filter((job) => job.state === 'pending' || job.state === 'running')).toEqual(
        [],
      ),
    { timeout: WAIT_MS, interval: 100 },
  );
}

const runningIds = (jobs: JobRow[]) => new Set(jobs.filter((j) => j.state === 'running').map((j) => j.id));
const jobOfType = (jobs: JobRow[], type: string) => jobs.find((job) => job.type === type)!;

// Two service starts per test: about 2-5 s, more when the whole suite shares the 2 cores.
describe(
  'a SIGKILL while jobs are in flight, then a restart on the same database',
  { timeout: 40_000 },
  () => {
    it('runs every job to done, repeating only the calls whose jobs were running at the kill', async () => {
      const anna = technician(222000001, 'Anna');
      const bruno = technician(222000002, 'Bruno');
      const chloe = technician(222000003, 'Chloé');
      const menu = await menuShownEarlier(anna);
      const ledger = new CallLedger();

      const first = await startService();
      // The tap's answer and the button removal reach Telegram and never come back.
      standIn.failNext('answerCallbackQuery', { kind: 'hang' });
      standIn.failNext('editMessageReplyMarkup', { kind: 'hang' });
      const hungAnswer = standIn.nextCall('answerCallbackQuery');
      const hungEdit = standIn.nextCall('editMessageReplyMarkup');
      const tapFin = tap(anna, 'fin', menu);
      expect(await postAll(first, [tapFin, message(bruno, '/start'), message(chloe, '/start')])).toEqual([
        '',
        '',
        '',
      ]);
      ledger.unanswered.add(await within(hungAnswer, WAIT_MS, 'the tap answer in flight'));
      ledger.unanswered.add(await within(hungEdit, WAIT_MS, 'the button removal in flight'));
      await killHard(first);

      const atKill = await allJobs();
      const runningAtKill = runningIds(atKill);
      expect(runningAtKill).toContain(jobOfType(atKill, 'telegram.answer-callback').id);
      expect(runningAtKill).toContain(jobOfType(atKill, 'telegram.edit-reply-markup').id);
      await expireLocksOfKilledWorker();

      const second = await startService();
      await allDelivered(ledger, atKill);
      await stopGracefully(second);

      const final = await allJobs();
      expect(final.map((job) => job.id)).toEqual(atKill.map((job) => job.id));
      expectAtLeastOnceOnly(ledger, final, runningAtKill);
      // The two calls cut off by the kill were made again, once each, and then answered.
      const answerKey = key('answerCallbackQuery', tapFin.callback_query!.id);
      const editKey = key('editMessageReplyMarkup', anna.id, menu);
      expect([ledger.hung(answerKey), ledger.answered(answerKey)]).toEqual([1, 1]);
      expect([ledger.hung(editKey), ledger.answered(editKey)]).toEqual([1, 1]);
      // Every technician got their message.
      expect(ledger.answered(key('sendMessage', anna.id, texts.start.fin))).toBeGreaterThanOrEqual(1);
      for (const t of [bruno, chloe]) {
        expect(ledger.answered(key('sendMessage', t.id, texts.greeting(t.firstName)))).toBeGreaterThanOrEqual(
          1,
        );
      }
    });

    it('resumes a multi-step send after its last delivered step: the album Telegram answered before the kill is not sent again', async () => {
      const david = technician(222000004, 'David');
      const photos = ['sav-photo-1', 'sav-photo-2'].map((fileId, index) => ({
        fileId,
        uniqueId: `sav-unique-${index + 1}`,
      }));
      for (const p of photos) {
        standIn.addFile(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), {
          mimeType: 'image/jpeg',
          fileId: p.fileId,
          fileUniqueId: p.uniqueId,
        });
      }
      const ledger = new CallLedger();

      // One job at a time: the technician's confirmation waits for the group's album (it says
      // "prévenu" only once the group got it), so the only message that can follow the album
      // before the kill is the album's own text.
      const first = await startService({ WORKER_CONCURRENCY: '1' });
      const album = standIn.nextCall('sendMediaGroup');
      const replies = await postAll(first, [
        message(david, '/sav'),
        ...photos.map((p) => photo(david, p.fileId, p.uniqueId)),
        message(david, 'Müller / PAC en défaut E-12'),
      ]);
      expect(syncText(replies.at(-1)!)).toBe(texts.received);

      // Telegram files the album and answers; the job's next call, the album's text, hangs.
      const albumCall = await within(album, WAIT_MS, 'the SAV album');
      standIn.failNext('sendMessage', { kind: 'hang' });
      const text = standIn.nextCall('sendMessage');
      const hungText = await within(text, WAIT_MS, "the album's text in flight");
      ledger.unanswered.add(hungText);
      expect([albumCall.params.chat_id, hungText.params.chat_id]).toEqual([SAV_GROUP, SAV_GROUP]);
      await killHard(first);

      const atKill = await allJobs();
      const photosJob = jobOfType(atKill, 'telegram.send-photos');
      // The job whose album Telegram had accepted is not done: the crash came during its text.
      expect([...runningIds(atKill)]).toEqual([photosJob.id]);
      await expireLocksOfKilledWorker();

      const second = await startService();
      await allDelivered(ledger, atKill);
      await untilCall(
        'sendMessage',
        (call) => call.params.chat_id === david.id && String(call.params.text).startsWith('✅'),
      );
      await stopGracefully(second);

      const final = await allJobs();
      expectAtLeastOnceOnly(ledger, final, runningIds(atKill));
      const [albumKey, textKey] = callKeysOfJob(photosJob);
      // The job recorded the album as delivered before its text: the restart sends the text only…
      expect(ledger.answered(albumKey!)).toBe(1);
      expect([ledger.hung(textKey!), ledger.answered(textKey!)]).toEqual([1, 1]);
      // …and the technician's confirmation, made once the album was taken, was sent once.
      const confirmation = final.find(
        (job) => job.type === 'telegram.send-message' && JSON.parse(job.payload).chatId === david.id,
      )!;
      expect(ledger.answered(callKeysOfJob(confirmation)[0]!)).toBe(1);
    });

    it('loses no update answered 200 before the kill, and a redelivered update does nothing twice', async () => {
      const emma = technician(222000005, 'Emma');
      const felix = technician(222000006, 'Félix');
      const gaston = technician(222000007, 'Gaston');
      const hugo = technician(222000008, 'Hugo');
      const menu = await menuShownEarlier(felix);
      const ledger = new CallLedger();

      // The worker's only slot is stuck on a call that never comes back: nothing posted can run.
      standIn.failNext('setMyCommands', { kind: 'hang' });
      const hungCommands = standIn.nextCall('setMyCommands');
      const first = await startService({ WORKER_CONCURRENCY: '1' });
      ledger.unanswered.add(await within(hungCommands, WAIT_MS, 'the command list in flight'));
      const updates = [
        message(emma, '/start'),
        message(gaston, '/materiel'),
        message(gaston, 'Müller / - cuivre 28mm - disconnecteur'),
        tap(felix, 'sav', menu),
      ];
      const replies = await postAll(first, updates);
      expect(replies.map((body) => (body === '' ? '' : syncText(body)))).toEqual([
        '',
        texts.start.materiel,
        texts.received,
        '',
      ]);
      await killHard(first);

      // Recorded, not yet done: only the stuck call had gone out.
      const atKill = await allJobs();
      expect(ledger.calls.map((call) => call.method)).toEqual(['setMyCommands']);
      expect(atKill.filter((job) => job.state !== 'pending').map((job) => job.type)).toEqual([
        'telegram.set-commands',
      ]);
      const seenAtKill = await seenUpdates();
      expect(seenAtKill.map((row) => row.update_id)).toEqual(updates.map((u) => u.update_id));
      await expireLocksOfKilledWorker();

      const second = await startService();
      const delivered = (chatId: number, text: string) => ledger.delivered(key('sendMessage', chatId, text));
      await ledger.delivered(key('setMyCommands'));
      await delivered(emma.id, texts.greeting(emma.firstName));
      await ledger.delivered(key('answerCallbackQuery', updates[3]!.callback_query!.id));
      await ledger.delivered(key('editMessageReplyMarkup', felix.id, menu));
      await delivered(felix.id, texts.start.sav);
      const groupMessage = await within(
        untilCall('sendMessage', (call) => call.params.chat_id === MAGASIN_GROUP),
        WAIT_MS,
        'the material report in the group',
      );
      expect(groupMessage.params.text).toContain('📦 Matériel manquant — Müller');
      await within(
        untilCall('sendMessage', (call) => call.params.chat_id === gaston.id),
        WAIT_MS,
        'the confirmation',
      );

      // Telegram sends the same updates again (it got no answer, as far as it knows): each gets
      // the answer it had, the plain lines too, kept with its seen mark.
      const jobsBefore = await allJobs();
      expect(await postAll(second, updates)).toEqual(replies);
      expect((await allJobs()).length).toBe(jobsBefore.length);
      expect(await seenUpdates()).toEqual(seenAtKill);
      // A fresh update afterwards: once its message is out, the worker has had its chance to misbehave.
      await postAll(second, [message(hugo, '/start')]);
      await delivered(hugo.id, texts.greeting(hugo.firstName));
      await stopGracefully(second);

      const final = await allJobs();
      expect(final.length).toBe(jobsBefore.length + 1);
      expectAtLeastOnceOnly(ledger, final, runningIds(atKill));
      expect([ledger.hung(key('setMyCommands')), ledger.answered(key('setMyCommands'))]).toEqual([1, 1]);
      expect(ledger.calls.filter((call) => call.params.chat_id === MAGASIN_GROUP)).toHaveLength(1);
    });
  },
);

describe('a SIGKILL while a Deck comment is in flight', { timeout: 60_000 }, () => {
  const NEXTCLOUD_USER = 'etm-bot';
  const NEXTCLOUD_PASSWORD = 'fake-app-password-not-real';
  let webdav: WebDavServer;
  let deck: DeckStandIn;
  let ollama: OllamaStandIn;
  beforeEach(async () => {
    webdav = await startWebDavServer({ user: NEXTCLOUD_USER, password: NEXTCLOUD_PASSWORD });
    deck = await startDeckStandIn({ user: NEXTCLOUD_USER, password: NEXTCLOUD_PASSWORD });
    ollama = await OllamaStandIn.start();
  });
  afterEach(async () => {
    await Promise.all([webdav.close(), deck.close(), ollama.close()]);
  });

  const withNextcloud = () =>
    startService({
      NEXTCLOUD_URL: webdav.url,
      DECK_URL: deck.url,
      NEXTCLOUD_USER,
      NEXTCLOUD_PASSWORD,
      ASSISTANT_ENABLED: 'true',
      OLLAMA_URL: ollama.url,
      OLLAMA_MODEL: STAND_IN_CHAT_MODEL,
      OLLAMA_EMBED_MODEL: STAND_IN_EMBED_MODEL,
      ASSISTANT_KNOWLEDGE_DIR: 'knowledge/Wiki_SAV',
    });

  it('finds the comment Deck stored before the kill instead of posting it again', async () => {
    const iris = technician(222000009, 'Iris');
    const first = await withNextcloud();
    const stored = deck.hangNextComment();
    await postAll(first, [message(iris, '/sav'), message(iris, 'Müller / PAC en défaut E-12')]);
    // Deck stores the assistant's comment; its answer never reaches the service, killed now.
    const comment = await within(stored, WAIT_MS, 'the Deck comment stored');
    await killHard(first);
    const atKill = await allJobs();
    expect(jobOfType(atKill, 'assistant.deck-comment').state).toBe('running');
    await expireLocksOfKilledWorker();

    // The first process may have listed the comments before posting: wait for the second's look.
    const isLookup = (call: (typeof deck.calls)[number]) =>
      call.method === 'GET' && call.path.endsWith('/comments');
    const lookupsBefore = deck.calls.filter(isLookup).length;
    const second = await withNextcloud();
    const lookedUp = async () => {
      while (deck.calls.filter(isLookup).length === lookupsBefore) {
        // The Deck stand-in has no call event: look again shortly (bounded by `within`).
        await delay(20);
      }
    };
    await within(lookedUp(), WAIT_MS, 'the comment looked up again');
    await stopGracefully(second);

    const comments = deck.store.allComments().filter((c) => c.message.startsWith('🤖'));
    expect(comments.map((c) => c.id)).toEqual([Number(comment.id)]);
    const final = await allJobs();
    expect(jobOfType(final, 'assistant.deck-comment').state).toBe('done');
  });
});
