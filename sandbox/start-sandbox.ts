import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { type Config, loadConfig } from '../src/config.ts';
import { type Service, startService } from '../src/service.ts';
import { type DeckStandIn, startDeckStandIn } from '../stand-ins/deck-stand-in.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../stand-ins/ollama-stand-in.ts';
import { TelegramStandIn } from '../stand-ins/telegram-stand-in.ts';
import { startWebDavServer, type WebDavServer } from '../stand-ins/webdav-server.ts';
import { ActivityFeed } from './activity-feed.ts';
import { startBotApiTap } from './bot-api-tap.ts';
import { startNextcloudFront } from './nextcloud-front.ts';
import { holdSampleFiles, loadSamples } from './samples.ts';
import {
  SANDBOX_GROUPS,
  SANDBOX_NEXTCLOUD_PASSWORD,
  SANDBOX_NEXTCLOUD_USER,
  SANDBOX_SLUG,
  SANDBOX_TECHNICIAN,
  SANDBOX_TOKEN,
  sandboxEnv,
} from './sandbox-env.ts';
import { type SandboxPageConfig, sandboxRoutes } from './sandbox-routes.ts';
import { TelegramFiles } from './telegram-files.ts';
import { captureUpdates } from './update-capture.ts';

/**
 * The whole product on one machine with zero credentials: the real service, in-process, wired
 * to local stand-ins of Telegram, Nextcloud (WebDAV + Deck), with the sandbox's web pages
 * added to it. `make run` starts it when no bot is configured; the browser test starts it too.
 */

export interface SandboxOptions {
  /** 0 for any free port (tests). Default: PORT from `env`, else 8080. */
  readonly port?: number;
  /** Where the database and the Nextcloud files live, emptied at each start. Default `data/sandbox`. */
  readonly dataDir?: string;
  /** Tunables (LOG_LEVEL, ALBUM_QUIET_MS, …): see TUNABLE_KEYS. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

export interface Sandbox {
  /** The service's root URL, e.g. `http://127.0.0.1:8080`; the web chat is at `${url}/sandbox`. */
  readonly url: string;
  readonly config: Config;
  readonly service: Service;
  readonly dataDir: string;
  /** The Nextcloud user's files on disk (what the WebDAV server serves). */
  readonly nextcloudFolder: string;
  readonly telegram: TelegramStandIn;
  readonly webdav: WebDavServer;
  readonly deck: DeckStandIn;
  /** Answers the SAV assistant's questions with canned leads. */
  readonly ollama: OllamaStandIn;
  /** Every Update answered and Bot API call made, in order (what the web page shows). */
  readonly feed: ActivityFeed;
  /** Stops the service gracefully, then every stand-in (php included). Idempotent. */
  close(): Promise<void>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '..');

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const closers: (() => Promise<void>)[] = [];
  // Everything is closed even when one part fails to; then the failures are reported.
  const closeAll = async () => {
    const failures: unknown[] = [];
    for (const close of closers.splice(0).reverse())
      await close().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'some sandbox parts did not stop cleanly');
  };
  try {
    return await start(options, closers, closeAll);
  } catch (error) {
    await closeAll().catch(() => undefined); // the first error says more
    throw error;
  }
}

async function start(
  options: SandboxOptions,
  closers: (() => Promise<void>)[],
  closeAll: () => Promise<void>,
): Promise<Sandbox> {
  const dataDir = resolve(options.dataDir ?? join(REPO, 'data', 'sandbox'));
  const nextcloudFolder = join(dataDir, 'nextcloud');
  await startAfresh(dataDir);
  await mkdir(nextcloudFolder, { recursive: true });

  const telegram = await TelegramStandIn.start({ tokens: [SANDBOX_TOKEN] });
  closers.push(() => telegram.close());
  const tap = await startBotApiTap(telegram.apiUrl);
  closers.push(() => tap.close());
  const webdav = await startWebDavServer({
    user: SANDBOX_NEXTCLOUD_USER,
    password: SANDBOX_NEXTCLOUD_PASSWORD,
    root: nextcloudFolder,
  }).catch((error: unknown) => {
    throw new Error(
      'could not start the WebDAV server (PHP with sabre/dav): run tools/install-debian-packages.sh sandbox',
      {
        cause: error,
      },
    );
  });
  closers.push(() => webdav.close());
  const deck = await startDeckStandIn({ user: SANDBOX_NEXTCLOUD_USER, password: SANDBOX_NEXTCLOUD_PASSWORD });
  closers.push(() => deck.close());
  const front = await startNextcloudFront({ webdavUrl: webdav.url, deckUrl: deck.url });
  closers.push(() => front.close());
  const ollama = await OllamaStandIn.start();
  closers.push(() => ollama.close());
  // `SANDBOX_OLLAMA=stopped`: the stand-in's port, nothing listening on it any more, to see the
  // assistant find known fixes without Ollama (connections refused, as with a stopped server).
  if (options.env?.SANDBOX_OLLAMA === 'stopped') await ollama.close();

  const files = new TelegramFiles(telegram);
  const samples = await loadSamples(join(REPO, 'samples', 'updates'));
  holdSampleFiles(samples, files, await bundledPhotos());

  const given = { ...options.env, ...(options.port === undefined ? {} : { PORT: String(options.port) }) };
  const config = loadConfig(
    sandboxEnv(
      {
        telegramApiUrl: tap.url,
        nextcloudUrl: front.url,
        ollama: { url: ollama.url, model: STAND_IN_CHAT_MODEL, embedModel: STAND_IN_EMBED_MODEL },
        databaseFile: join(dataDir, 'etm-terrain.db'),
      },
      given,
    ),
  );
  const feed = new ActivityFeed();
  closers.push(async () => {
    feed.close();
  });
  tap.on('call', (call) => {
    feed.addBotApiCall(call);
  });
  front.on('request', () => {
    feed.changed();
  });

  const service = await startService(config, {
    ...(options.logger ? { logger: options.logger } : {}),
    extend: async (app, parts) => {
      app.addHook('onSend', captureUpdates(feed));
      await app.register(sandboxRoutes, {
        page: pageConfig(config),
        feed,
        files,
        samples,
        nextcloudRoot: nextcloudFolder,
        deck: deck.store,
        db: parts.db,
        publicFolder: join(HERE, 'public'),
      });
      if (!app.hasRoute({ method: 'GET', url: '/' })) {
        app.get('/', async (_request, reply) => reply.redirect('/sandbox'));
      }
    },
  });
  // The service goes first: its worker must stop before the remotes it calls.
  closers.push(() => service.shutdown('sandbox closing'));

  const { port } = service.app.server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  front.showFilesAt(`${url}/sandbox`);
  let closing: Promise<void> | undefined;
  return {
    url,
    config,
    service,
    dataDir,
    nextcloudFolder,
    telegram,
    webdav,
    deck,
    ollama,
    feed,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

/**
 * What the sandbox keeps on disk, removed at each start. The stand-ins (Telegram's chats and
 * message ids, the groups, the Deck board) and the page's feed live in memory: keeping the
 * database and the Nextcloud folder alone would make a world in which the new Telegram reuses
 * message ids the database remembers as tapped, and cards are missing for the reports it holds.
 * So everything starts empty together. `telegram-files` is where earlier versions kept photos.
 */
export const SANDBOX_WORLD_ON_DISK = [
  'etm-terrain.db',
  'etm-terrain.db-wal',
  'etm-terrain.db-shm',
  'nextcloud',
  'telegram-files',
] as const;

async function startAfresh(dataDir: string): Promise<void> {
  await Promise.all(
    SANDBOX_WORLD_ON_DISK.map((name) => rm(join(dataDir, name), { recursive: true, force: true })),
  );
}

function pageConfig(config: Config): SandboxPageConfig {
  return {
    slug: SANDBOX_SLUG,
    technician: SANDBOX_TECHNICIAN,
    groups: [
      { key: 'chantier', ...SANDBOX_GROUPS.chantier },
      { key: 'sav', ...SANDBOX_GROUPS.sav },
      { key: 'magasin', ...SANDBOX_GROUPS.magasin },
    ],
    deckBoard: config.deckBoard,
    albumQuietMs: config.albumQuietMs,
  };
}

/** The bundled photos (sandbox/fixtures/*.jpg), in name order. */
export async function bundledPhotos(): Promise<Buffer[]> {
  const folder = join(HERE, 'fixtures');
  const names = (await readdir(folder)).filter((name) => name.endsWith('.jpg')).sort();
  return Promise.all(names.map(async (name) => readFile(join(folder, name))));
}
