import { execFile } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileInRoot } from '../../sandbox/file-tree.ts';
import { jobColumn } from '../../sandbox/job-queue-view.ts';
import { backendFor } from '../../sandbox/nextcloud-front.ts';
import { sampleFileRefs } from '../../sandbox/samples.ts';
import { SANDBOX_GROUPS, SANDBOX_TOKEN, sandboxEnv } from '../../sandbox/sandbox-env.ts';
import { loadConfig } from '../../src/config.ts';

/** The sandbox's pure parts, and the script the Makefile asks whether a bot is configured. */

const ENDPOINTS = {
  telegramApiUrl: 'http://127.0.0.1:1001',
  nextcloudUrl: 'http://127.0.0.1:1002',
  ollama: { url: 'http://127.0.0.1:1003', model: 'chat-model', embedModel: 'embed-model' },
  databaseFile: '/tmp/sandbox-test/etm-terrain.db',
};

describe('sandboxEnv', () => {
  it('is a valid configuration serving one bot with the three groups, every remote local', () => {
    const config = loadConfig(sandboxEnv(ENDPOINTS));
    expect(config.bots).toEqual([
      {
        slug: 'sandbox',
        token: SANDBOX_TOKEN,
        groups: {
          chantier: SANDBOX_GROUPS.chantier.id,
          sav: SANDBOX_GROUPS.sav.id,
          magasin: SANDBOX_GROUPS.magasin.id,
        },
        allowedUsers: [],
      },
    ]);
    expect(config.telegramApiUrl).toBe(ENDPOINTS.telegramApiUrl);
    expect(config.nextcloud?.url).toBe(ENDPOINTS.nextcloudUrl);
    expect(config.ollama).toEqual(ENDPOINTS.ollama);
    expect(config.databaseUrl).toBe('sqlite:/tmp/sandbox-test/etm-terrain.db');
    expect({ port: config.port, host: config.host, logLevel: config.logLevel }).toEqual({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'warn',
    });
  });

  it('takes tunables from the shell but never its bots, remotes or database', () => {
    const env = sandboxEnv(ENDPOINTS, {
      PORT: '9999',
      ALBUM_QUIET_MS: '300',
      LOG_LEVEL: 'silent',
      BOTS: 'etm-terrain',
      BOT_ETM_TERRAIN_TOKEN: '999:REAL-looking-token',
      NEXTCLOUD_URL: 'https://cloud.example.fr',
      DATABASE_URL: 'sqlite:./data/etm-terrain.db',
      TELEGRAM_API_URL: 'https://api.telegram.org',
    });
    expect(env).toMatchObject({ PORT: '9999', ALBUM_QUIET_MS: '300', LOG_LEVEL: 'silent', BOTS: 'sandbox' });
    expect(env.NEXTCLOUD_URL).toBe(ENDPOINTS.nextcloudUrl);
    expect(env.TELEGRAM_API_URL).toBe(ENDPOINTS.telegramApiUrl);
    expect(env.DATABASE_URL).toBe('sqlite:/tmp/sandbox-test/etm-terrain.db');
    expect(env).not.toHaveProperty('BOT_ETM_TERRAIN_TOKEN');
  });
});

describe('fileInRoot', () => {
  it.each([
    ['Chantiers/20260325_Müller/photo_01.jpg', '/srv/nc/Chantiers/20260325_Müller/photo_01.jpg'],
    ['a/../b.md', '/srv/nc/b.md'],
  ])('serves %s from inside the root', (path, expected) => {
    expect(fileInRoot('/srv/nc', path)).toBe(expected);
  });

  it.each(['', '.', '..', '../secret', 'a/../../secret', '/etc/passwd'])('refuses %j', (path) => {
    expect(fileInRoot('/srv/nc', path)).toBeUndefined();
  });
});

describe('backendFor', () => {
  const backends = { webdavUrl: 'http://dav', deckUrl: 'http://deck' };
  it.each([
    ['/remote.php/dav/files/etm-sandbox/Chantiers/', 'http://dav'],
    ['/index.php/apps/deck/api/v1.0/boards', 'http://deck'],
    ['/ocs/v2.php/apps/deck/api/v1.0/cards/1/comments', 'http://deck'],
    ['/index.php/apps/files/', undefined],
    ['/', undefined],
  ])('%s → %s', (path, expected) => {
    expect(backendFor(path, backends)).toBe(expected);
  });
});

describe('sampleFileRefs', () => {
  const sample = async (name: string) =>
    JSON.parse(
      await readFile(fileURLToPath(new URL(`../../samples/updates/${name}.json`, import.meta.url)), 'utf8'),
    ) as Record<string, unknown>;

  it('lists every size of a photo, as JPEG, with its message', async () => {
    const refs = sampleFileRefs(await sample('album-1'));
    expect(refs).toHaveLength(4);
    expect(refs.every((ref) => ref.mimeType === 'image/jpeg' && ref.messageId === 104)).toBe(true);
    expect(new Set(refs.map((ref) => ref.fileId)).size).toBe(4);
  });

  it('keeps a document’s own MIME type, and holds it as a document, as Telegram does', async () => {
    const refs = sampleFileRefs(await sample('document-heic'));
    expect(refs.map((ref) => [ref.mimeType, ref.kind])).toEqual([['image/heic', 'document']]);
    expect(sampleFileRefs(await sample('album-1')).every((ref) => ref.kind === 'photo')).toBe(true);
  });

  it('finds nothing in a text message or a button press', async () => {
    expect(sampleFileRefs(await sample('start'))).toEqual([]);
    expect(sampleFileRefs(await sample('button-fin'))).toEqual([]);
  });
});

describe('jobColumn', () => {
  it.each([
    ['pending', 0, 'pending'],
    ['pending', 2, 'retrying'],
    ['running', 1, 'running'],
    ['dead', 12, 'dead'],
    ['done', 1, 'done'],
  ] as const)('%s after %d attempts is %s', (state, attempts, column) => {
    expect(jobColumn(state, attempts)).toBe(column);
  });
});

describe('sandbox/configured-bots.ts (what make run and make send ask)', () => {
  const script = fileURLToPath(new URL('../../sandbox/configured-bots.ts', import.meta.url));
  const run = async (env: Record<string, string>, cwd: string) => {
    const environment: Record<string, string> = { PATH: process.env.PATH ?? '', ...env };
    const { stdout } = await promisify(execFile)(process.execPath, [script], { env: environment, cwd });
    return stdout;
  };

  it('prints the slugs of BOTS, the environment winning over .env, and nothing when none is set', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'configured-bots-'));
    try {
      expect(await run({}, folder)).toBe('');
      await writeFile(join(folder, '.env'), 'BOTS= etm-terrain , autre-bot\n');
      expect(await run({}, folder)).toBe('etm-terrain autre-bot');
      expect(await run({ BOTS: 'from-shell' }, folder)).toBe('from-shell');
      // An empty value counts as unset, as in the service.
      expect(await run({ BOTS: '' }, folder)).toBe('');
      await writeFile(join(folder, 'other.env'), 'BOTS=other\n');
      expect(await run({ ENV_FILE: 'other.env' }, folder)).toBe('other');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('stops with 78, as the service does, when ENV_FILE names a file that does not exist', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'configured-bots-'));
    try {
      await writeFile(join(folder, '.env'), 'BOTS=etm-terrain\n');
      await expect(run({ ENV_FILE: 'prod.env' }, folder)).rejects.toMatchObject({
        code: 78,
        stdout: '',
        // The child's working directory, as it resolves it (a temporary folder may be behind a link).
        stderr: `ENV_FILE is invalid: ${join(await realpath(folder), 'prod.env')} does not exist (unset ENV_FILE to read .env, if there is one)\n`,
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
