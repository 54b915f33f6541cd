import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, postUpdate, type TestApp } from '../support/test-app.ts';
import { TECHNICIAN } from '../support/updates.ts';

/**
 * Replays real Updates written by other projects (Telegram bot libraries' fixtures and captured
 * `getUpdates` dumps) through the gateway route. The corpus is read from `../shared` beside the
 * checkout, not copied here: its objects stay their authors' work under each source
 * repository's licence. Without it (a maintainer's machine) these tests are skipped, and say so.
 *
 * For every Update the corpus marks valid: a 200, never a 5xx, at most one answer to the chat,
 * and no answer at all to a live-location edit or a service message.
 */

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = resolve(here, '../../../shared/corpus/telegram-updates/updates.jsonl');
const present = existsSync(CORPUS);

interface CorpusLine {
  readonly source: string;
  readonly valid: boolean;
  readonly update: Record<string, unknown>;
}

function corpus(): CorpusLine[] {
  return readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusLine)
    .filter((line) => line.valid);
}

/** Fields whose presence makes a message something a person sent (the rest are service messages). */
const CONTENT = ['text', 'photo', 'document', 'voice', 'video', 'video_note', 'audio', 'animation'];
const MORE_CONTENT = ['sticker', 'location', 'venue', 'contact', 'poll', 'dice', 'game', 'story'];
const TAIL_CONTENT = ['invoice', 'paid_media', 'checklist'];

function mustStaySilent(update: Record<string, unknown>): boolean {
  const edited = update.edited_message as Record<string, unknown> | undefined;
  if (edited && 'location' in edited) return true;
  const message = update.message as Record<string, unknown> | undefined;
  if (!message) return false;
  return ![...CONTENT, ...MORE_CONTENT, ...TAIL_CONTENT].some((field) => field in message);
}

/** The corpus reuses ids (its wrapped Messages all have update_id 0): renumber so each counts. */
function renumbered(update: Record<string, unknown>, index: number): Record<string, unknown> {
  return { ...update, update_id: 1_000_000 + index };
}

/** A private chat's sender becomes our allowed technician: the conversation itself answers. */
function asTechnician(update: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(update);
  for (const key of ['message', 'edited_message']) {
    const message = copy[key] as { chat?: { id: number; type: string }; from?: { id: number } } | undefined;
    if (message?.chat?.type === 'private' && message.from) {
      message.chat.id = TECHNICIAN.id;
      message.from.id = TECHNICIAN.id;
    }
  }
  const query = copy.callback_query as { from?: { id: number } } | undefined;
  if (query?.from) query.from.id = TECHNICIAN.id;
  return copy;
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function answersCount(app: TestApp, updateId: number): Promise<number> {
  const rows = await app.db
    .selectFrom('jobs')
    .select('idempotency_key')
    .where('type', '=', 'telegram.send-message')
    .where('idempotency_key', 'like', `%:u${updateId}:%`)
    .execute();
  return rows.length;
}

async function replay(transform: (update: Record<string, unknown>) => Record<string, unknown>) {
  t = await createTestApp({ BOT_ETM_TERRAIN_ALLOWED_USERS: String(TECHNICIAN.id) });
  const problems: string[] = [];
  for (const [index, line] of corpus().entries()) {
    const update = transform(renumbered(line.update, index));
    const response = await postUpdate(t.app, update);
    const reply = response.statusCode === 200 && response.body !== '' ? 1 : 0;
    const answers = reply + (await answersCount(t, update.update_id as number));
    const where = `${line.source} (#${index})`;
    if (response.statusCode !== 200) problems.push(`${where}: HTTP ${response.statusCode} ${response.body}`);
    if (answers > 1) problems.push(`${where}: ${answers} answers`);
    if (answers > 0 && mustStaySilent(update)) problems.push(`${where}: answered a message nobody typed`);
  }
  return problems;
}

describe.skipIf(!present)('the corpus of real Updates (../shared/corpus/telegram-updates)', () => {
  it('as sent: 200 for each, at most one answer, none to live-location edits or service messages', async () => {
    expect(await replay((update) => update)).toEqual([]);
  });

  it('with every private sender an allowed technician: the same, through the whole conversation', async () => {
    expect(await replay(asTechnician)).toEqual([]);
  });
});

describe.skipIf(present)('the corpus of real Updates', () => {
  it(`is skipped: ${CORPUS} is absent (it lives beside the checkout in CI)`, () => {
    expect(present).toBe(false);
  });
});
