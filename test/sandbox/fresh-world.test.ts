import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_SLUG } from '../../sandbox/sandbox-env.ts';
import { type Sandbox, startSandbox } from '../../sandbox/start-sandbox.ts';
import { textUpdate } from '../support/updates.ts';

/**
 * The sandbox's stand-ins live in memory; its database and Nextcloud folder on disk. A restart
 * must not mix a new Telegram (message ids from 1 again, no chats, an empty Deck) with the old
 * database and files: everything starts empty together.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string): Promise<Sandbox> {
  const sandbox = await startSandbox({ port: 0, dataDir, env: { LOG_LEVEL: 'silent' } });
  cleanups.push(() => sandbox.close());
  return sandbox;
}

async function post(sandbox: Sandbox, body: unknown): Promise<number> {
  const response = await fetch(`${sandbox.url}/telegram/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bot-slug': SANDBOX_SLUG },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

const processed = (sandbox: Sandbox) =>
  sandbox.service.db.selectFrom('processed_updates').select('update_id').execute();

describe('the sandbox across a restart', () => {
  it('starts the database, the Nextcloud files and the stand-ins empty together', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'etm-sandbox-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const first = await start(dataDir);
    expect(await post(first, { ...textUpdate('/aide'), update_id: 1 })).toBe(200);
    expect(await processed(first)).toEqual([{ update_id: 1 }]);
    await writeFile(join(first.nextcloudFolder, 'left-over.txt'), 'from the first run');
    await first.close();

    const second = await start(dataDir);
    expect(await processed(second)).toEqual([]);
    expect(await readdir(second.nextcloudFolder)).toEqual([]);
    // The same update_id is new again: the database does not remember the old world.
    expect(await post(second, { ...textUpdate('/aide'), update_id: 1 })).toBe(200);
    expect(await processed(second)).toEqual([{ update_id: 1 }]);
  }, 60_000);

  it("leads a card's folder link to the sandbox page on the port it listens on", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'etm-sandbox-links-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const sandbox = await start(dataDir);
    const nextcloudUrl = sandbox.config.nextcloud?.url;
    expect(nextcloudUrl).toBeDefined();
    const link = await fetch(`${nextcloudUrl}/index.php/apps/files/?dir=/Chantiers/20260325_M%C3%BCller`, {
      redirect: 'manual',
    });
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe(`${sandbox.url}/sandbox`);
  }, 60_000);
});
