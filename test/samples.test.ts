import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Value from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Update, UpdateSchema } from '../src/telegram/update-schema.ts';
import { createTestApp, postUpdate, type TestApp } from './support/test-app.ts';

/**
 * samples/updates/ holds the Updates `make send` posts by hand and openapi.yaml shows: they must
 * stay valid, shaped as Telegram sends them, and answered as the service answers today.
 */

const SAMPLES_DIR = new URL('../samples/updates/', import.meta.url);
const SEND_SAMPLE = fileURLToPath(new URL('../tools/send-sample.sh', import.meta.url));
const SLUG = 'etm-terrain';
const DEMO = 'demo';

const sampleNames = readdirSync(SAMPLES_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.slice(0, -'.json'.length))
  .sort();
const sampleText = (name: string) => readFileSync(new URL(`${name}.json`, SAMPLES_DIR), 'utf8');
const sample = (name: string) => JSON.parse(sampleText(name)) as Update;

type Answer = { readonly text: string } | 'empty';
const VOICE = { text: expect.stringContaining('messages vocaux') as string };

/**
 * What the route answers to each sample posted alone to a bot with a token. Only plain lines to
 * a private message come back synchronously (README, "The HTTP contract"): the menu, the "which report?" buttons,
 * button answers and notes about edits go out through the Bot API, so their answer is empty.
 */
const answerToday: Record<string, Answer> = {
  start: 'empty',
  'button-fin': 'empty',
  'button-sav': 'empty',
  'button-materiel': 'empty',
  'photo-caption': 'empty',
  'album-1': 'empty',
  'album-2': 'empty',
  'album-3': 'empty',
  'document-heic': 'empty',
  'sav-text': 'empty',
  'materiel-list': 'empty',
  voice: VOICE,
  'edited-message': 'empty',
  'unknown-kind': 'empty',
  'group-message': 'empty',
};

/** Every `date`-like field anywhere in an update, in Unix seconds. */
function datesIn(node: unknown): number[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    (key === 'date' || key === 'edit_date') && typeof value === 'number' ? [value] : datesIn(value),
  );
}

describe('samples/updates', () => {
  it('lists every sample in the table of answers, and nothing else', () => {
    expect(sampleNames).toEqual(Object.keys(answerToday).sort());
  });

  it.each(sampleNames)('%s is a valid Update dated in 2026 with a unique update_id', (name) => {
    const update = sample(name);
    expect(Value.Check(UpdateSchema, update)).toBe(true);
    const dates = datesIn(update);
    expect(dates.length).toBeGreaterThan(0);
    for (const date of dates) expect(new Date(date * 1000).getUTCFullYear()).toBe(2026);
    const others = sampleNames.filter((other) => other !== name).map((other) => sample(other).update_id);
    expect(others).not.toContain(update.update_id);
  });

  it('comes from private chats with the technician, except the group message', () => {
    for (const name of sampleNames) {
      const update = sample(name) as Update & { my_chat_member?: { chat: { type: string } } };
      const message = update.message ?? update.edited_message ?? update.callback_query?.message;
      const chat = message?.chat ?? update.my_chat_member?.chat;
      expect(chat?.type, name).toBe(name === 'group-message' ? 'supergroup' : 'private');
    }
  });

  it('puts the menu buttons on a message sent by the bot', () => {
    for (const data of ['fin', 'sav', 'materiel']) {
      const query = sample(`button-${data}`).callback_query;
      expect(query?.data).toBe(data);
      expect(query?.message).toMatchObject({ from: { is_bot: true } });
    }
  });

  it('lists photo sizes from smallest to largest, as Telegram does', () => {
    for (const name of ['photo-caption', 'album-1', 'album-2', 'album-3']) {
      const areas = (sample(name).message?.photo ?? []).map((size) => size.width * size.height);
      expect(areas.length, name).toBeGreaterThan(1);
      expect(areas, name).toEqual([...areas].sort((a, b) => a - b));
    }
  });

  it('makes one album: a shared media_group_id, consecutive message_ids, the caption on the 2nd only', () => {
    const items = ['album-1', 'album-2', 'album-3'].map((name) => sample(name).message!);
    expect(new Set(items.map((item) => item.media_group_id)).size).toBe(1);
    expect(items[0]?.media_group_id).toBeDefined();
    expect(items.map((item) => item.message_id - items[0]!.message_id)).toEqual([0, 1, 2]);
    expect(items.map((item) => item.caption !== undefined)).toEqual([false, true, false]);
  });
});

describe('posting each sample to the gateway route', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  it.each(sampleNames)('%s: 200, answered as today, recorded', async (name) => {
    const response = await postUpdate(t.app, sampleText(name), { slug: SLUG });
    expect(response.statusCode).toBe(200);
    const expected = answerToday[name];
    if (expected === 'empty') expect(response.body).toBe('');
    else expect(response.json()).toEqual(expected);

    const seen = await t.db
      .selectFrom('processed_updates')
      .select('update_id')
      .where('slug', '=', SLUG)
      .execute();
    expect(seen).toEqual([{ update_id: sample(name).update_id }]);
  });
});

describe('tools/send-sample.sh (make send)', () => {
  let t: TestApp;
  let url: string;
  beforeEach(async () => {
    // The demo bot (`node dist/server.js` without BOTS) answers everything synchronously.
    t = await createTestApp({ BOTS: '' });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => t.close());

  // The script runs `node`; the test's own Node is the one known to be there.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  const send = (...args: string[]) => promisify(execFile)(SEND_SAMPLE, args, { env });

  it('posts a sample with a fresh update_id each time and prints the status and the body', async () => {
    const first = await send('start', DEMO, url);
    const second = await send('start', DEMO, url);
    for (const { stdout } of [first, second]) {
      expect(stdout).toContain(`POST ${url}/telegram/update  X-Bot-Slug: ${DEMO}  sample: start`);
      expect(stdout).toMatch(/^HTTP 200$/m);
      expect(stdout).toContain('{"text":"Bonjour Jean');
    }
    const seen = await t.db.selectFrom('processed_updates').select('update_id').execute();
    expect(seen).toHaveLength(2);
    expect(seen.map((row) => row.update_id)).not.toContain(sample('start').update_id);
  });

  it('plays the walkthrough again and again: each tap is on a new message, each album new', async () => {
    for (let round = 0; round < 2; round += 1) {
      const { stdout } = await send('start button-sav sav-text', DEMO, url);
      const posts = stdout.split(/^POST /m).slice(1);
      expect(posts.map((post) => /sample: (\S+)/.exec(post)?.[1])).toEqual([
        'start',
        'button-sav',
        'sav-text',
      ]);
      for (const post of posts) expect(post).toMatch(/^HTTP 200$/m);
      // A tap on a message already handled answers only "Déjà pris en compte" through the Bot API.
      expect(posts[1]).toContain('"text":"');
    }
    const { stdout } = await send('album', DEMO, url);
    expect(stdout.match(/sample: album-\d/g)).toEqual([
      'sample: album-1',
      'sample: album-2',
      'sample: album-3',
    ]);
    // `album` among other names stands for its three items too.
    const among = await send('button-fin album', DEMO, url);
    expect(among.stdout.match(/sample: \S+/g)).toEqual([
      'sample: button-fin',
      'sample: album-1',
      'sample: album-2',
      'sample: album-3',
    ]);
    const ids = await t.db.selectFrom('processed_updates').select('update_id').execute();
    expect(new Set(ids.map((row) => row.update_id)).size).toBe(13);
  });

  it('says when the answer is empty', async () => {
    const { stdout } = await send('unknown-kind', DEMO, url);
    expect(stdout).toMatch(/^HTTP 200$/m);
    expect(stdout).toContain('(empty body: nothing for the gateway to relay)');
  });

  it('prints an error answer and exits non-zero', async () => {
    const failure = await send('start', 'other-bot', url).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 1, stdout: expect.stringMatching(/^HTTP 404$/m) });
    expect(failure).toMatchObject({ stdout: expect.stringContaining('"error":"unknown_slug"') });
  });

  it('refuses an unknown sample and lists the available ones', async () => {
    const failure = await send('../start', DEMO, url).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown sample '../start'") });
    const stderr = (failure as { stderr: string }).stderr;
    for (const name of sampleNames) expect(stderr).toContain(`  ${name}\n`);
    expect(await t.db.selectFrom('processed_updates').selectAll().execute()).toEqual([]);
  });
});
