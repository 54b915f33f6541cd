import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildServer, startChildServer } from './child-server.ts';
import { freePort } from '../stand-ins/loopback.ts';
import { startDeckStandIn } from '../stand-ins/deck-stand-in.ts';
import { withFreshSchema } from './postgres-schema.ts';
import { STAND_IN_TOKEN, TelegramStandIn } from '../stand-ins/telegram-stand-in.ts';
import { startWebDavServer } from '../stand-ins/webdav-server.ts';

/**
 * "Last album item → group message": the real service (worker on) against the stand-ins of
 * Telegram, Nextcloud's WebDAV (sabre/dav, as Nextcloud) and Deck. A technician opens a SAV alert
 * and sends an album of photos, the last one with its caption; the time is taken from the answer
 * to that last item to the moment the stand-in receives the message for the SAV group. The album
 * closes after the quiet time; then the report is planned, its photos filed, then its Markdown file
 * and card made (they count the photos filed), and only then is the office told. So the figure is
 * the quiet time plus what the service adds, archive included (the goal: at most one second more).
 */

const SLUG = 'bench';
const SAV_GROUP = -1002222222222;
const QUIET_MS = 2_500;
const ROUNDS = 5;
const PHOTOS = 3;
const FIRST_TECHNICIAN_ID = 710_000_000;
/** Fake credentials of the stand-ins: never real ones. */
const NEXTCLOUD = { user: 'bench-bot', password: 'fake-bench-password' };

export interface AlbumLatency {
  readonly quietMs: number;
  /** ms from the last album item's answer to the group message, one per round. */
  readonly samplesMs: readonly number[];
}

/**
 * `serviceArgs`: the arguments to `node` that start the service. On a fresh SQLite file in
 * `workDir`, or, given a PostgreSQL URL, on a fresh schema of that database (the throughput run
 * leaves thousands of jobs in it that this worker would run first).
 */
export async function measureAlbumLatency(
  serviceArgs: readonly string[],
  workDir: string,
  host: string,
  postgresUrl?: string,
): Promise<AlbumLatency> {
  if (postgresUrl === undefined) return measureOn(serviceArgs, `sqlite:${join(workDir, 'album.db')}`, host);
  return withFreshSchema(postgresUrl, (url) => measureOn(serviceArgs, url, host));
}

async function measureOn(
  serviceArgs: readonly string[],
  databaseUrl: string,
  host: string,
): Promise<AlbumLatency> {
  const telegram = await TelegramStandIn.start();
  const webdav = await startWebDavServer(NEXTCLOUD);
  const deck = await startDeckStandIn(NEXTCLOUD);
  let service: ChildServer | undefined;
  try {
    service = await startChildServer({
      name: 'etm-terrain (worker on)',
      args: serviceArgs,
      env: {
        BOTS: SLUG,
        BOT_BENCH_TOKEN: STAND_IN_TOKEN,
        BOT_BENCH_GROUP_SAV: String(SAV_GROUP),
        TELEGRAM_API_URL: telegram.apiUrl,
        NEXTCLOUD_URL: webdav.url,
        DECK_URL: deck.url,
        NEXTCLOUD_USER: NEXTCLOUD.user,
        NEXTCLOUD_PASSWORD: NEXTCLOUD.password,
        DATABASE_URL: databaseUrl,
        ALBUM_QUIET_MS: String(QUIET_MS),
        ASSISTANT_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        ENV_FILE: '/dev/null',
      },
      host,
      port: await freePort(host),
      readyPath: '/healthz',
    });
    const samplesMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) samplesMs.push(await oneAlbum(service, telegram, round));
    // The figure is meant to include the archive: announced without it, it would measure nothing.
    const archived = readdirSync(webdav.root, { recursive: true }).filter((name) =>
      String(name).endsWith('.jpg'),
    );
    if (archived.length !== ROUNDS * PHOTOS)
      throw new Error(`${archived.length} photos archived, not ${ROUNDS * PHOTOS}`);
    return { quietMs: QUIET_MS, samplesMs };
  } finally {
    await service?.stop();
    await Promise.all([telegram.close(), webdav.close(), deck.close()]);
  }
}

async function oneAlbum(service: ChildServer, telegram: TelegramStandIn, round: number): Promise<number> {
  const userId = FIRST_TECHNICIAN_ID + round;
  const updates = new UpdateIds(round * 100 + 1);
  await post(service, textUpdate(updates.next(), userId, '/sav'));
  const files = Array.from({ length: PHOTOS }, () =>
    telegram.addFile(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)]), {
      mimeType: 'image/jpeg',
    }),
  );
  const arrived = untilGroupMessage(telegram);
  for (const [index, file] of files.entries()) {
    const caption = index === files.length - 1 ? 'Müller / PAC en défaut E-12' : undefined;
    await post(service, photoUpdate(updates.next(), userId, `album-${round}`, file, caption));
  }
  const lastItemAnswered = Date.now();
  return (await arrived) - lastItemAnswered;
}

/** Resolves with the stand-in's time of the album reaching the SAV group (its first message). */
async function untilGroupMessage(telegram: TelegramStandIn): Promise<number> {
  for (;;) {
    const call = await telegram.nextCall('sendMediaGroup');
    if (Number(call.params.chat_id) === SAV_GROUP) return call.at;
  }
}

async function post(service: ChildServer, update: unknown): Promise<void> {
  const response = await fetch(`${service.url}/telegram/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bot-slug': SLUG },
    body: JSON.stringify(update),
  });
  await response.text();
  if (!response.ok) throw new Error(`the service answered ${response.status}\n${service.output()}`);
}

class UpdateIds {
  private value: number;
  constructor(first: number) {
    this.value = first;
  }
  next(): number {
    return this.value++;
  }
}

const chat = (userId: number) => ({ id: userId, type: 'private', first_name: 'Jean' });
const from = (userId: number) => ({ id: userId, is_bot: false, first_name: 'Jean', language_code: 'fr' });
const nowSeconds = () => Math.floor(Date.now() / 1000);

function textUpdate(updateId: number, userId: number, text: string) {
  return {
    update_id: updateId,
    message: { message_id: updateId, date: nowSeconds(), chat: chat(userId), from: from(userId), text },
  };
}

function photoUpdate(
  updateId: number,
  userId: number,
  mediaGroupId: string,
  file: { file_id: string; file_unique_id: string },
  caption: string | undefined,
) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: nowSeconds(),
      chat: chat(userId),
      from: from(userId),
      media_group_id: mediaGroupId,
      photo: [{ ...file, width: 1280, height: 960 }],
      ...(caption === undefined ? {} : { caption }),
    },
  };
}

/** The figure, printed beside the quiet time it includes. */
export function formatAlbumLatency({ quietMs, samplesMs }: AlbumLatency): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const worst = sorted.at(-1)!;
  return [
    `last album item → group message (${samplesMs.length} SAV albums of ${PHOTOS} photos, archived and carded, stand-ins)`,
    `  quiet time ${quietMs} ms · median ${median} ms · worst ${worst} ms · service's own share (median) ${median - quietMs} ms`,
    `  goal: ≤ quiet time + 1000 ms → ${worst <= quietMs + 1000 ? 'met' : 'NOT met'}`,
  ].join('\n');
}
