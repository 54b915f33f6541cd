import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { Db } from '../src/db/database.ts';
import { HttpError } from '../src/http-error.ts';
import type { DeckStore } from '../stand-ins/deck/deck-store.ts';
import type { ActivityFeed, FeedEntry } from './activity-feed.ts';
import { deckBoardView } from './deck-board-view.ts';
import { contentTypeOf, fileInRoot, readTree } from './file-tree.ts';
import { jobQueueFingerprint, readJobQueue } from './job-queue-view.ts';
import type { Sample } from './samples.ts';
import { isJpeg, type TelegramFiles } from './telegram-files.ts';

/**
 * The sandbox's own pages and APIs, under /sandbox only (never served by the real service):
 * the web chat, the photos it registers with the Telegram stand-in, the live feed (SSE), and
 * read-only views of the archive, the board and the job queue.
 */

export interface SandboxPageConfig {
  readonly slug: string;
  readonly technician: { readonly id: number; readonly first_name: string; readonly last_name: string };
  readonly groups: readonly { readonly key: string; readonly id: number; readonly title: string }[];
  readonly deckBoard: string;
  readonly albumQuietMs: number;
}

export interface SandboxRoutesOptions {
  readonly page: SandboxPageConfig;
  readonly feed: ActivityFeed;
  readonly files: TelegramFiles;
  readonly samples: readonly Sample[];
  readonly nextcloudRoot: string;
  readonly deck: DeckStore;
  readonly db: Db;
  readonly publicFolder: string;
}

/** An album is at most 10 photos; a phone photo is a few MB; base64 adds a third. */
const PHOTOS_BODY_LIMIT = 10 * 15 * 1024 * 1024;
const ASSETS: Readonly<Record<string, string>> = {
  'sandbox.css': 'text/css; charset=utf-8',
  'sandbox.js': 'text/javascript; charset=utf-8',
};
const JOB_POLL_MS = 400;

const PhotosBody = Type.Object({
  photos: Type.Array(Type.Object({ jpegBase64: Type.String({ minLength: 4 }) }), {
    minItems: 1,
    // What a phone lets one pick at once; more than 10 leave as several albums.
    maxItems: 30,
  }),
});

export const sandboxRoutes: FastifyPluginAsyncTypebox<SandboxRoutesOptions> = async (app, options) => {
  const { feed, files, db } = options;

  app.get('/sandbox', async (_request, reply) =>
    sendFile(reply, `${options.publicFolder}/index.html`, 'text/html; charset=utf-8'),
  );
  app.get('/sandbox/', async (_request, reply) => reply.redirect('/sandbox'));
  app.get('/sandbox/assets/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const type = ASSETS[name];
    if (type === undefined) throw new HttpError(404, 'not_found', 'no such asset');
    return sendFile(reply, `${options.publicFolder}/${name}`, type);
  });

  app.get('/sandbox/api/config', async () => options.page);
  app.get('/sandbox/api/samples', async () => options.samples);

  app.post(
    '/sandbox/api/photos',
    { bodyLimit: PHOTOS_BODY_LIMIT, schema: { body: PhotosBody } },
    async (request) => {
      const jpegs = request.body.photos.map((photo) => Buffer.from(photo.jpegBase64, 'base64'));
      if (!jpegs.every(isJpeg)) {
        throw new HttpError(400, 'not_jpeg', 'Telegram photos are JPEG: convert before sending');
      }
      return { photos: jpegs.map((jpeg) => files.addPhoto(jpeg)) };
    },
  );

  app.get('/sandbox/api/telegram-files/:fileId', async (request, reply) => {
    const { fileId } = request.params as { fileId: string };
    const file = files.get(fileId);
    if (!file) throw new HttpError(404, 'not_found', 'Telegram does not hold this file in the sandbox');
    return reply.type(file.mimeType).header('cache-control', 'max-age=3600').send(file.bytes);
  });

  app.get('/sandbox/api/state', async () => ({
    nextcloud: await readTree(options.nextcloudRoot),
    deck: deckBoardView(options.deck),
    jobs: await readJobQueue(db),
  }));

  app.get('/sandbox/nextcloud/*', async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    const file = fileInRoot(options.nextcloudRoot, path);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile())
      throw new HttpError(404, 'not_found', 'no such file in the sandbox Nextcloud');
    return reply
      .type(contentTypeOf(file))
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(file));
  });

  const streams = new Set<FastifyReply>();
  app.get('/sandbox/api/events', async (_request, reply) => {
    openEventStream(reply, feed, streams);
  });
  watchJobQueue(app, feed, db);
  // An open event stream would keep the server from closing.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.raw.end();
  });
};

async function sendFile(reply: FastifyReply, path: string, type: string) {
  return reply
    .type(type)
    .header('cache-control', 'no-cache')
    .send(await readFile(path));
}

/** Server-sent events: the history first, then each new entry, and `changed` nudges. */
function openEventStream(reply: FastifyReply, feed: ActivityFeed, streams: Set<FastifyReply>): void {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (event: string, data: unknown) =>
    reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('history', feed.entries());
  const unsubscribe = feed.subscribe(
    (entry: FeedEntry) => send('entry', entry),
    () => send('changed', {}),
  );
  streams.add(reply);
  reply.raw.on('close', () => {
    unsubscribe();
    streams.delete(reply);
  });
}

/** The worker changes jobs without telling anyone: look, while someone watches. */
function watchJobQueue(app: Parameters<FastifyPluginAsyncTypebox>[0], feed: ActivityFeed, db: Db): void {
  let last = '';
  let polling = false;
  const timer = setInterval(() => {
    if (polling || feed.subscriberCount() === 0) return;
    polling = true;
    jobQueueFingerprint(db)
      .then((fingerprint) => {
        if (fingerprint !== last) feed.changed();
        last = fingerprint;
      })
      .catch(() => undefined) // the database is closing
      .finally(() => {
        polling = false;
      });
  }, JOB_POLL_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
  });
}
