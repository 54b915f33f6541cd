import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Background, createBackground } from '../../src/background.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { type Db, openDatabase } from '../../src/db/database.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import { TestClock } from './database.ts';
import { freshDatabaseUrl } from './test-database.ts';
import { postUpdate } from './test-app.ts';
import { photoUpdate } from './updates.ts';
import { type DeckStandIn, startDeckStandIn } from '../../stand-ins/deck-stand-in.ts';
import { STAND_IN_TOKEN, TelegramStandIn } from '../../stand-ins/telegram-stand-in.ts';
import { startWebDavServer, type WebDavServer } from '../../stand-ins/webdav-server.ts';

/** Fake credentials and ids of the report tests: never real ones. */
export const NEXTCLOUD_USER = 'etm-bot';
export const NEXTCLOUD_PASSWORD = 'fake-app-password-not-real';
export const GROUPS = { chantier: -1001111111111, sav: -1002222222222, magasin: -1003333333333 };

/** The remote stand-ins, started once per test file (the WebDAV server is a PHP process). */
export interface Remotes {
  readonly telegram: TelegramStandIn;
  readonly webdav: WebDavServer;
  readonly deck: DeckStandIn;
  close(): Promise<void>;
}

export async function startRemotes(): Promise<Remotes> {
  const telegram = await TelegramStandIn.start();
  const webdav = await startWebDavServer({ user: NEXTCLOUD_USER, password: NEXTCLOUD_PASSWORD });
  const deck = await startDeckStandIn({ user: NEXTCLOUD_USER, password: NEXTCLOUD_PASSWORD });
  return {
    telegram,
    webdav,
    deck,
    async close() {
      await Promise.all([telegram.close(), webdav.close(), deck.close()]);
    },
  };
}

/** The whole service on an in-memory database, its worker drained by hand with a test clock. */
export interface ReportHarness {
  readonly config: Config;
  readonly db: Db;
  readonly clock: TestClock;
  readonly background: Background;
  post(update: Update): Promise<{ status: number; body: string }>;
  /** GET /readyz: status code and JSON body. */
  readiness(): Promise<{ status: number; body: unknown }>;
  /** Any request to the service's HTTP surface (set ADMIN_TOKEN in env for the admin routes). */
  inject(request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> }): Promise<{
    status: number;
    body: unknown;
  }>;
  /** Runs jobs, moving the clock, until nothing is left to run (bounded). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  remotes: Remotes,
  env: Record<string, string> = {},
): Promise<ReportHarness> {
  const config = loadConfig({
    BOTS: 'etm-terrain',
    BOT_ETM_TERRAIN_TOKEN: STAND_IN_TOKEN,
    BOT_ETM_TERRAIN_GROUP_CHANTIER: String(GROUPS.chantier),
    BOT_ETM_TERRAIN_GROUP_SAV: String(GROUPS.sav),
    BOT_ETM_TERRAIN_GROUP_MAGASIN: String(GROUPS.magasin),
    TELEGRAM_API_URL: remotes.telegram.apiUrl,
    NEXTCLOUD_URL: remotes.webdav.url,
    DECK_URL: remotes.deck.url,
    NEXTCLOUD_USER,
    NEXTCLOUD_PASSWORD,
    DATABASE_URL: await freshDatabaseUrl(),
    LOG_LEVEL: 'silent',
    ASSISTANT_ENABLED: 'false',
    ...env,
  });
  const db = await openDatabase(config.databaseUrl);
  const clock = new TestClock();
  const logger = pino({ level: 'silent' });
  const background = createBackground(config, db, logger, clock.now);
  const app = await buildApp(config, {
    db,
    logger,
    clock: clock.now,
    assistantStatus: background.assistantStatus,
  });
  return {
    config,
    db,
    clock,
    background,
    async post(update) {
      const response = await postUpdate(app, update);
      return { status: response.statusCode, body: response.body };
    },
    async readiness() {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, body: response.json() };
    },
    async inject(request) {
      const response = await app.inject(request);
      return { status: response.statusCode, body: response.json() };
    },
    async drain() {
      for (let round = 0; round < 600; round++) {
        await background.worker.runOnce();
        const waiting = await db
          .selectFrom('jobs')
          .select('id')
          .where('state', 'in', ['pending', 'running'])
          .where('type', 'not like', 'telegram.set-commands')
          .execute();
        if (waiting.length === 0) return;
        clock.advance(1_000);
      }
      throw new Error('jobs still waiting after 10 simulated minutes');
    },
    async close() {
      await app.close();
      await background.close();
      await db.destroy();
    },
  };
}

/** A file's stand-ins, started once, and a fresh service for each of its tests. */
export interface ReportSuite {
  readonly remotes: Remotes;
  /** This test's service. */
  readonly h: ReportHarness;
  /** Replaces this test's service by one started with `env` (closed after the test as well). */
  restart(env?: Record<string, string>): Promise<ReportHarness>;
  /** `count` distinct photos the Telegram stand-in serves (addTelegramPhotos). */
  addPhotos(count: number, seed: number): ReturnType<typeof addTelegramPhotos>;
  /** The texts the bot sent to a chat, oldest first (textsToChat). */
  textsTo(chatId: number): string[];
}

/** Registers the hooks of a file of report tests: the stand-ins for the file, a service per test. */
export function reportSuite(): ReportSuite {
  let remotes: Remotes | undefined;
  let harness: ReportHarness | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('reportSuite: used outside a test');
    return value;
  };
  beforeAll(async () => {
    remotes = await startRemotes();
  });
  afterAll(async () => remotes?.close());
  beforeEach(async () => {
    await started(remotes).webdav.control({ reset: true });
    harness = await startHarness(started(remotes));
  });
  afterEach(async () => harness?.close());
  return {
    get remotes() {
      return started(remotes);
    },
    get h() {
      return started(harness);
    },
    addPhotos: (count, seed) => addTelegramPhotos(started(remotes).telegram, count, seed),
    textsTo: (chatId) => textsToChat(started(remotes).telegram, chatId),
    async restart(env = {}) {
      await harness?.close();
      harness = await startHarness(started(remotes), env);
      return harness;
    },
  };
}

/** Every file below the WebDAV root, as `relative/path` → bytes. */
export function davFiles(root: string, dir = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(join(root, dir))) {
    const path = dir ? `${dir}/${name}` : name;
    if (statSync(join(root, path)).isDirectory()) for (const [p, b] of davFiles(root, path)) files.set(p, b);
    else files.set(path, readFileSync(join(root, path)));
  }
  return files;
}

/** A small, distinct JPEG-looking file (the magic bytes are what the archive checks). */
export function fakeJpeg(seed: number): Buffer {
  const body = Buffer.alloc(64 + seed, seed);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body]);
}

/** `count` distinct photos the Telegram stand-in serves, with their bytes and ids. */
export function addTelegramPhotos(telegram: TelegramStandIn, count: number, seed: number) {
  return Array.from({ length: count }, (_, i) => {
    const bytes = fakeJpeg(seed + i);
    const { file_id, file_unique_id } = telegram.addFile(bytes, { mimeType: 'image/jpeg' });
    return { bytes, fileId: file_id, uniqueId: file_unique_id };
  });
}

/**
 * Posts photos as one album, in order, the caption on its first item; message ids count up from
 * `firstMessageId`.
 */
export async function postAlbum(
  h: ReportHarness,
  photos: readonly { fileId: string; uniqueId: string }[],
  album: { readonly id: string; readonly caption: string; readonly firstMessageId: number },
): Promise<void> {
  for (const [index, photo] of photos.entries()) {
    await h.post(
      photoUpdate(photo.fileId, photo.uniqueId, album.firstMessageId + index, {
        album: album.id,
        ...(index === 0 ? { caption: album.caption } : {}),
      }),
    );
  }
}

/** The messages, photos and albums the bot sent to a chat, oldest first. */
export const sentToChat = (telegram: TelegramStandIn, chatId: number) =>
  telegram.calls.filter(
    (call) =>
      ['sendMessage', 'sendPhoto', 'sendMediaGroup', 'sendDocument'].includes(call.method) &&
      Number(call.params.chat_id) === chatId,
  );

/** Their texts (a caption for photos), oldest first. */
export const textsToChat = (telegram: TelegramStandIn, chatId: number) =>
  sentToChat(telegram, chatId).map((call) => {
    const text = call.params.text ?? call.params.caption;
    return typeof text === 'string' ? text : '';
  });
