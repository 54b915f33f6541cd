import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, startChildServer } from '../../bench/child-server.ts';
import { startUpdateBody } from '../../bench/update-body.ts';
import { freePort } from '../../stand-ins/loopback.ts';
import { DEFAULT_SETTINGS } from '../../src/conversation/settings.ts';
import { openDatabase } from '../../src/db/database.ts';
import { dispatchUpdate } from '../../src/dispatch/dispatch-update.ts';

// Two /start of one technician (ids 1,000 apart share one), and the first sent again.
const UPDATE_IDS = [1, 1001, 1];

/**
 * What both leave in the database, without the times and row ids that differ between runs. The
 * answer to `/start` goes out as a job, so neither keeps a synchronous reply with the seen mark
 * (src/dispatch/seen-updates.ts): the floor writes no `reply`, and the service must not either.
 */
const ROWS = {
  processed_updates: 'select slug, update_id, reply from processed_updates order by update_id',
  conversations: 'select slug, chat_id, user_id, state, version from conversations',
  jobs: 'select type, idempotency_key, payload, state, priority, attempts, max_attempts, waiting_for from jobs order by id',
};

let dir: string;
let floor: ChildServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floor-test-'));
  floor = await startChildServer({
    name: 'sqlite floor',
    args: [join(import.meta.dirname, '..', '..', 'bench', 'floor-server.ts')],
    env: { FLOOR_DATABASE: join(dir, 'floor.db') },
    host: '127.0.0.1',
    port: await freePort('127.0.0.1'),
    readyPath: '/healthz',
  });
});
afterAll(async () => {
  await floor.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the SQLite floor of make bench', () => {
  it('writes for /start the rows the service writes, and answers as it does', async () => {
    for (const updateId of UPDATE_IDS) {
      const response = await fetch(`${floor.url}/telegram/update`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: startUpdateBody(updateId),
      });
      expect([response.status, await response.text()]).toEqual([200, '']);
    }
    const service = await openDatabase(`sqlite:${join(dir, 'service.db')}`);
    const bot = {
      slug: 'bench',
      token: '123456:TEST-fake',
      allowedUsers: [],
      groups: { chantier: undefined, sav: undefined, magasin: undefined },
    };
    for (const updateId of UPDATE_IDS) {
      const result = await dispatchUpdate(
        service,
        bot,
        JSON.parse(startUpdateBody(updateId)),
        new Date(),
        DEFAULT_SETTINGS,
      );
      expect(result.reply).toBeUndefined();
    }
    await service.destroy();

    const rows = (file: string) => {
      const sqlite = new SQLite(join(dir, file), { readonly: true });
      try {
        return Object.fromEntries(
          Object.entries(ROWS).map(([table, query]) => [table, sqlite.prepare(query).all()]),
        );
      } finally {
        sqlite.close();
      }
    };
    const written = rows('floor.db');
    expect(written.jobs).toHaveLength(2);
    expect(written).toEqual(rows('service.db'));
  });
});
