import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { openDatabase } from '../src/db/database.ts';
import { GROUP_COMMIT_MAX_BATCH } from '../src/db/group-commit.ts';

/**
 * The SQLite floor: the bare server plus the durable writes of the service's `/start`, and nothing
 * else. For each Update: the seen mark, the conversation read and written, the answer's job
 * inserted, as the service does them (src/dispatch/, src/queue/enqueue.ts), in the service's schema
 * (its migrations), with `synchronous = FULL` and updates sharing commits as in
 * src/db/group-commit.ts; then an empty 200, the service's answer to `/start`. No Kysely,
 * conversation, validation, logging or metrics: its req/s is the most the service could reach on
 * this machine with every 200 on disk, and the service's share of it is the cost of its own code.
 */

const path = process.env.FLOOR_DATABASE;
if (!path) throw new Error('FLOOR_DATABASE: the SQLite file to create');
await (await openDatabase(`sqlite:${path}`)).destroy();
const sqlite = new SQLite(path);
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = FULL');

const SLUG = 'bench';
const STATE = JSON.stringify({ closedAlbums: [], queued: [], albumsWithRefusal: [] });
const KEYBOARD = [
  [{ text: '📸 Fin de Chantier', callback_data: 'fin' }],
  [{ text: '⚠️ Alerte SAV', callback_data: 'sav' }],
  [{ text: '📦 Matériel Manquant', callback_data: 'materiel' }],
];

const insertSeen = sqlite.prepare(
  'insert into processed_updates (slug, update_id, received_at) values (?, ?, ?) on conflict do nothing',
);
const selectConversation = sqlite.prepare(
  'select state, version from conversations where slug = ? and chat_id = ? and user_id = ?',
);
const insertConversation = sqlite.prepare(
  'insert into conversations (slug, chat_id, user_id, state, version, updated_at) values (?, ?, ?, ?, 1, ?) on conflict do nothing',
);
const updateConversation = sqlite.prepare(
  'update conversations set state = ?, version = version + 1, updated_at = ? where slug = ? and chat_id = ? and user_id = ? and version = ?',
);
const insertJob = sqlite.prepare(
  `insert into jobs (type, idempotency_key, payload, state, priority, run_at, attempts, max_attempts, created_at, updated_at)
   values ('telegram.send-message', ?, ?, 'pending', 80, ?, 0, 10, ?, ?) on conflict (idempotency_key) do nothing returning id`,
);
const begin = sqlite.prepare('begin');
const commit = sqlite.prepare('commit');

interface StartUpdate {
  readonly update_id: number;
  readonly message: { readonly chat: { readonly id: number }; readonly from: { readonly id: number } };
}

function record(update: StartUpdate, now: number): void {
  const { id: chatId } = update.message.chat;
  const { id: userId } = update.message.from;
  if (insertSeen.run(SLUG, update.update_id, now).changes === 0) return;
  const row = selectConversation.get(SLUG, chatId, userId) as { version: number } | undefined;
  if (row) updateConversation.run(STATE, now, SLUG, chatId, userId, row.version);
  else insertConversation.run(SLUG, chatId, userId, STATE, now);
  const payload = { slug: SLUG, chatId, text: 'Bonjour Jean 👋 Que veux-tu signaler ?', keyboard: KEYBOARD };
  insertJob.all(`${SLUG}:u${update.update_id}:say:0`, JSON.stringify(payload), now, now, now);
}

const waiting: { readonly update: StartUpdate; readonly done: () => void }[] = [];

/** Group commit, as the service's: what arrived meanwhile goes in the next transaction. */
function commitWaiting(): void {
  const batch = waiting.splice(0, GROUP_COMMIT_MAX_BATCH);
  if (waiting.length > 0) setImmediate(commitWaiting);
  const now = Date.now();
  begin.run();
  for (const { update } of batch) record(update, now);
  commit.run();
  for (const { done } of batch) done();
}

const app = Fastify();
app.post('/telegram/update', async (request, reply) => {
  await new Promise<void>((done) => {
    if (waiting.push({ update: request.body as StartUpdate, done }) === 1) setImmediate(commitWaiting);
  });
  return reply.send('');
});
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });

const close = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);
