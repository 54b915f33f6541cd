import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import {
  davFiles,
  fakeJpeg,
  GROUPS,
  NEXTCLOUD_PASSWORD,
  NEXTCLOUD_USER,
  type Remotes,
  startRemotes,
} from '../support/report-harness.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';
import { STAND_IN_TOKEN } from '../../stand-ins/telegram-stand-in.ts';
import { freshUpdateId } from '../support/updates.ts';

/**
 * Two replicas of the real service (child processes) on one PostgreSQL, the gateway's updates
 * delivered to them in turn, albums in flight when one replica is SIGKILLed and started again.
 * Every photo is archived once, each report has one card and one group message, every update
 * answered 200 was handled, and no job ever ran in two replicas at once: a trigger records every
 * change of every job row, and the test reads that history.
 */

const TECHNICIANS = [311000001, 311000002, 311000003, 311000004];
const PHOTOS_PER_ALBUM = 3;
/** Bounds each wait on an event (start-ups, albums closing, jobs running) on a busy machine. */
const WAIT_MS = 60_000;

let remotes: Remotes;
let databaseUrl: string;
let db: Db;
const replicas: ServiceProcess[] = [];
/** Every update the gateway got a 200 for. */
const answered: number[] = [];

describe.runIf(testDialect === 'postgres')('two replicas on one PostgreSQL', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    remotes = await startRemotes();
    databaseUrl = await freshDatabaseUrl();
    db = await openDatabase(databaseUrl, { poolSize: 2 });
    await recordJobHistory(db);
  });
  afterEach(async () => {
    for (const replica of replicas.splice(0)) await replica.kill('SIGKILL');
  });
  afterAll(async () => {
    await db.destroy();
    await remotes.close();
  });

  it('archives each photo once, one card and one group message per report, no job in two replicas', async () => {
    let a = await startReplica();
    const b = await startReplica();
    const albums = TECHNICIANS.map((userId, index) => albumOf(userId, index));

    // Everyone chooses the report and sends the first photos of the album, alternately to A and B.
    let turn = 0;
    const deliver = (update: Update) => post([a, b][turn++ % 2]!, update, b);
    await Promise.all(
      albums.map(async (album) => {
        for (const update of [album.command, ...album.photos.slice(0, -1)]) await deliver(update);
      }),
    );

    // A dies with albums open and jobs in flight; what it held waits for its lock to expire.
    const killedWorker = await workerIdOf(a);
    await a.kill('SIGKILL');
    await expireLocksOf(killedWorker);
    a = await startReplica();

    // The last photo of each album, still alternately: the albums close, the reports run.
    await Promise.all(albums.map((album) => deliver(album.photos.at(-1)!)));
    await vi.waitFor(async () => expect(await unfinished()).toEqual([]), { timeout: WAIT_MS, interval: 200 });

    const seen = await db.selectFrom('processed_updates').select('update_id').execute();
    expect(answered.filter((id) => !seen.some((row) => row.update_id === id))).toEqual([]);

    const reports = await db
      .selectFrom('reports')
      .select(['public_id', 'chantier', 'media', 'status'])
      .orderBy('id')
      .execute();
    expect(
      reports.map((r) => [r.chantier, (JSON.parse(r.media) as unknown[]).length, r.status]).sort(),
    ).toEqual(albums.map((album) => [album.client, PHOTOS_PER_ALBUM, 'done']).sort());
    const files = [...davFiles(remotes.webdav.root).keys()];
    for (const album of albums) {
      const photos = files.filter((path) => path.includes(`_${album.client}/`) && path.endsWith('.jpg'));
      expect(photos, album.client).toHaveLength(PHOTOS_PER_ALBUM);
    }
    for (const report of reports) {
      const cards = remotes.deck.store.allCards().filter((card) => card.title.includes(report.public_id));
      expect(cards, report.public_id).toHaveLength(1);
      // One announcement; a photo that came after it (the album closed while a replica restarted)
      // gets one line of its own, and the last word the office read counts every photo filed.
      const told = groupMessagesAbout(report.chantier);
      expect(
        told.filter((text) => !text.startsWith('➕')),
        report.chantier,
      ).toHaveLength(1);
      expect(told.at(-1), report.chantier).toMatch(
        new RegExp(`${PHOTOS_PER_ALBUM} photos archivées|\\(${PHOTOS_PER_ALBUM} au total\\)`, 'u'),
      );
    }
    expect(remotes.deck.store.listBoards().filter((board) => board.title === 'ETM Chantiers')).toHaveLength(
      1,
    );

    await expectNoJobRanInTwoReplicas(killedWorker);
  });
});

interface Album {
  readonly client: string;
  readonly command: Update;
  readonly photos: Update[];
}

function albumOf(userId: number, index: number): Album {
  const client = `Client${index + 1}`;
  const chat = { id: userId, type: 'private' as const, first_name: client };
  const from = { id: userId, is_bot: false, first_name: client };
  const date = Math.floor(Date.now() / 1000);
  const message = (id: number, content: object): Update => ({
    update_id: id,
    message: { message_id: id, date, chat, from, ...content },
  });
  const photos = Array.from({ length: PHOTOS_PER_ALBUM }, (_, i) => {
    const { file_id, file_unique_id } = remotes.telegram.addFile(fakeJpeg(index * 10 + i), {
      mimeType: 'image/jpeg',
    });
    return message(freshUpdateId(), {
      media_group_id: `album-${userId}`,
      photo: [{ file_id, file_unique_id, width: 1280, height: 960 }],
      // The caption rides on the second item, as Telegram may send it.
      ...(i === 1 ? { caption: `${client} / pose terminée` } : {}),
    });
  });
  return { client, command: message(freshUpdateId(), { text: '/fin' }), photos };
}

async function startReplica(): Promise<ServiceProcess> {
  const replica = await startServiceProcess({
    databaseUrl,
    env: {
      BOTS: 'etm-terrain',
      BOT_ETM_TERRAIN_TOKEN: STAND_IN_TOKEN,
      BOT_ETM_TERRAIN_GROUP_CHANTIER: String(GROUPS.chantier),
      TELEGRAM_API_URL: remotes.telegram.apiUrl,
      NEXTCLOUD_URL: remotes.webdav.url,
      DECK_URL: remotes.deck.url,
      NEXTCLOUD_USER,
      NEXTCLOUD_PASSWORD,
      ASSISTANT_ENABLED: 'false',
      ALBUM_QUIET_MS: '300',
      DATABASE_POOL_SIZE: '4',
    },
    startTimeoutMs: WAIT_MS,
  });
  replicas.push(replica);
  return replica;
}

/** As the gateway: a 200 is final; anything else (the replica is dead) goes to the other one. */
async function post(replica: ServiceProcess, update: Update, other: ServiceProcess): Promise<void> {
  const result = await replica.post(update).catch(() => undefined);
  const final = result?.status === 200 ? result : await other.post(update);
  expect(final.status).toBe(200);
  answered.push(update.update_id);
}

async function workerIdOf(replica: ServiceProcess): Promise<string> {
  const line = await replica.waitForLog((entry) => typeof entry.workerId === 'string');
  return line.workerId as string;
}

/** What `lockMs` of wall-clock time does to the jobs of a worker that died holding them. */
async function expireLocksOf(workerId: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ locked_until: Date.now() - 1 })
    .where('state', '=', 'running')
    .where('locked_by', '=', workerId)
    .execute();
}

const unfinished = async () =>
  db
    .selectFrom('jobs')
    .select(['id', 'type', 'state'])
    .where('state', 'in', ['pending', 'running', 'dead'])
    .execute();

/** What the Chantier group received about a client, oldest first. */
function groupMessagesAbout(client: string): string[] {
  return remotes.telegram
    .messagesIn(GROUPS.chantier)
    .map((message) => ('text' in message ? (message.text ?? '') : ''))
    .filter((text) => text.includes(client));
}

/** A trigger copies every insert and update of a job row into job_history, in commit order of writes. */
async function recordJobHistory(database: Db): Promise<void> {
  await sql`CREATE TABLE job_history (
    seq bigserial PRIMARY KEY, job_id bigint NOT NULL, state text NOT NULL, locked_by text)`.execute(
    database,
  );
  await sql`CREATE FUNCTION record_job_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO job_history (job_id, state, locked_by) VALUES (NEW.id, NEW.state, NEW.locked_by);
      RETURN NEW;
    END $$`.execute(database);
  await sql`CREATE TRIGGER jobs_history AFTER INSERT OR UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION record_job_change()`.execute(database);
}

/**
 * Walks each job's history: a claim makes a worker its holder until the row leaves `running`.
 * Another worker may claim it meanwhile only if the holder is the replica that was killed.
 */
async function expectNoJobRanInTwoReplicas(killedWorker: string): Promise<void> {
  const { rows } = await sql<{ job_id: number; state: string; locked_by: string | null }>`
    SELECT job_id, state, locked_by FROM job_history ORDER BY seq`.execute(db);
  expect(rows.length).toBeGreaterThan(0);
  const holders = new Map<number, string>();
  const takeovers: string[] = [];
  const workers = new Set<string>();
  for (const row of rows) {
    const holder = holders.get(row.job_id);
    if (row.state !== 'running') {
      holders.delete(row.job_id);
      continue;
    }
    workers.add(row.locked_by!);
    if (holder !== undefined && holder !== row.locked_by && holder !== killedWorker) {
      takeovers.push(`job ${row.job_id}: ${row.locked_by} claimed it from ${holder}`);
    }
    holders.set(row.job_id, row.locked_by!);
  }
  expect(takeovers).toEqual([]);
  // Both replicas (and the restarted one) did run jobs: the test did exercise concurrency.
  expect(workers.size).toBeGreaterThanOrEqual(2);
}
