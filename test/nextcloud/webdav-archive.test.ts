import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  NextcloudError,
  NextcloudTransportError,
  parseErrorBody,
} from '../../src/nextcloud/nextcloud-errors.ts';
import { nextcloudFailureDecision, THROTTLED_DELAY_MS } from '../../src/nextcloud/nextcloud-failure.ts';
import {
  createNextcloudArchive,
  davSegments,
  LOCKED_TRIES,
  type NextcloudArchive,
  type NextcloudArchiveOptions,
} from '../../src/nextcloud/webdav-archive.ts';
import { startWebDavServer, type WebDavServer } from '../../stand-ins/webdav-server.ts';

const USER = 'etm-test';
// Characters that URL-encoding changes, so that an encoded leak would be caught too.
const PASSWORD = 'fake-app/pass word+NOT-real';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

let server: WebDavServer;
const archives: NextcloudArchive[] = [];
let archive: NextcloudArchive;

function newArchive(options: Partial<NextcloudArchiveOptions> = {}): NextcloudArchive {
  const created = createNextcloudArchive({ url: server.url, user: USER, password: PASSWORD, ...options });
  archives.push(created);
  return created;
}

beforeAll(async () => {
  server = await startWebDavServer({ user: USER, password: PASSWORD });
  archive = newArchive({ lockedPauseMs: 0 });
});
afterAll(async () => {
  await Promise.all(archives.map(async (each) => each.close()));
  await server.close();
});
afterEach(async () => server.control({ reset: true }));

/** A unique folder per test, so tests do not depend on each other's files. */
let folderCount = 0;
async function freshFolder(): Promise<string> {
  const folder = `t${++folderCount}`;
  await mkdir(join(server.root, folder));
  return folder;
}

const onDisk = (path: string) => readFile(join(server.root, path));

async function rejectionOf(operation: Promise<unknown>): Promise<unknown> {
  return operation.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Every text an error can end up as in a log or a job row, causes included. */
function everyRendering(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(String(current), current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  return parts.join('\n');
}

function expectNoSecret(error: unknown): void {
  const text = everyRendering(error);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(encodeURIComponent(PASSWORD));
  expect(text).not.toContain(BASIC);
  expect(text).not.toMatch(/https?:\/\//u);
}

function streamOf(bytes: Buffer, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  }
  return Readable.from(chunks, { objectMode: false });
}

const photoBytes = (size: number, seed = 1) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * seed) % 251));

describe('paths', () => {
  it('NFC-normalises every segment before it crosses the wire', async () => {
    const folder = await freshFolder();
    const nfd = 'Mu\u0308ller';
    await archive.ensureFolder(`${folder}/${nfd}`);
    expect(await archive.uploadNew(`${folder}/${nfd}/photo_01.jpg`, photoBytes(10))).toBe('created');
    const paths = (await server.requests()).map((entry) => entry.path);
    // The server records paths before its own NFC step: what we sent was NFC already.
    expect(paths.some((path) => path.includes(nfd))).toBe(false);
    expect(paths).toContain(`/remote.php/dav/files/${USER}/${folder}/Müller/photo_01.jpg`);
    expect(await readdir(join(server.root, folder))).toEqual(['Müller']);
  });

  it('encodes names with spaces, #, %, ? and & so they arrive intact', async () => {
    const folder = await freshFolder();
    const name = 'SAV 50% #3 & co?.md';
    expect(await archive.writeTextNew(`${folder}/${name}`, 'x')).toBe('created');
    expect(await readdir(join(server.root, folder))).toEqual([name]);
    expect((await archive.listFolder(folder))?.map((entry) => entry.name)).toEqual([name]);
  });

  it('refuses . and .. segments, which would climb out of the folder', async () => {
    expect(() => davSegments('Chantiers/../secret')).toThrow(RangeError);
    expect(() => davSegments('./x')).toThrow(RangeError);
    expect(davSegments('/Chantiers//Mu\u0308ller/')).toEqual(['Chantiers', 'Müller']);
    expect(await rejectionOf(archive.uploadNew('a/../../b.jpg', photoBytes(1)))).toBeInstanceOf(RangeError);
    expect(await server.requests()).toEqual([]);
  });

  it('links a folder in the Files app, each segment encoded', () => {
    const link = createNextcloudArchive({
      url: 'https://cloud.example.test/',
      user: USER,
      password: PASSWORD,
    });
    expect(link.folderLink('Chantiers/20260325_Mu\u0308ller/30_Photos_Chantier')).toBe(
      'https://cloud.example.test/index.php/apps/files/?dir=/Chantiers/20260325_M%C3%BCller/30_Photos_Chantier',
    );
    expect(link.folderLink('SAV_Urgent/2026-03-25_A & B')).toBe(
      'https://cloud.example.test/index.php/apps/files/?dir=/SAV_Urgent/2026-03-25_A%20%26%20B',
    );
  });
});

describe('listFolder', () => {
  it('lists names (decoded, NFC), types and sizes, without the folder itself', async () => {
    const folder = await freshFolder();
    await mkdir(join(server.root, folder, '20260325_Müller'));
    await writeFile(join(server.root, folder, 'photo_01.jpg'), photoBytes(1234));
    const entries = await archive.listFolder(folder);
    expect(entries?.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: '20260325_Müller', type: 'directory', size: 0 },
      { name: 'photo_01.jpg', type: 'file', size: 1234 },
    ]);
  });

  it('returns an empty list for an empty folder and undefined for a missing one', async () => {
    const folder = await freshFolder();
    expect(await archive.listFolder(folder)).toEqual([]);
    expect(await archive.listFolder(`${folder}/absent`)).toBeUndefined();
  });
});

describe('ensureFolder', () => {
  it('creates every missing level, deepest first, then each level down', async () => {
    const folder = await freshFolder();
    await archive.ensureFolder(`${folder}/Chantiers/20260325_Müller/30_Photos_Chantier`);
    expect(
      (await stat(join(server.root, folder, 'Chantiers/20260325_Müller/30_Photos_Chantier'))).isDirectory(),
    ).toBe(true);
    const mkcols = (await server.requests()).map((entry) => `${entry.method} ${entry.status} ${entry.path}`);
    const base = `/remote.php/dav/files/${USER}/${folder}`;
    expect(mkcols).toEqual([
      `MKCOL 409 ${base}/Chantiers/20260325_Müller/30_Photos_Chantier`,
      `MKCOL 409 ${base}/Chantiers/20260325_Müller`,
      `MKCOL 201 ${base}/Chantiers`,
      `MKCOL 201 ${base}/Chantiers/20260325_Müller`,
      `MKCOL 201 ${base}/Chantiers/20260325_Müller/30_Photos_Chantier`,
    ]);
  });

  it('takes a MKCOL lost to a parallel creation (403, folder there now) as success', async () => {
    await server.control({ folderRace: true });
    const folder = await freshFolder();
    await archive.ensureFolder(`${folder}/a/b`);
    expect((await stat(join(server.root, folder, 'a/b'))).isDirectory()).toBe(true);
    const calls = (await server.requests()).map((entry) => `${entry.method} ${entry.status}`);
    expect(calls).toEqual(['MKCOL 409', 'MKCOL 403', 'PROPFIND 207', 'MKCOL 403', 'PROPFIND 207']);
  });

  it('keeps a 403 when the folder is not there (no permission)', async () => {
    const folder = await freshFolder();
    await server.control({ failNext: { status: 403, method: 'MKCOL' } });
    const error = await rejectionOf(archive.ensureFolder(`${folder}/refused`));
    expect(error).toMatchObject({ name: 'NextcloudError', method: 'MKCOL', status: 403 });
  });

  it('takes an existing folder (405) as success, in one request', async () => {
    const folder = await freshFolder();
    await archive.ensureFolder(folder);
    expect((await server.requests()).map((entry) => [entry.method, entry.status])).toEqual([['MKCOL', 405]]);
  });

  it('lets two archives (two replicas) create the same folders at once', async () => {
    const folder = await freshFolder();
    const path = `${folder}/a/b/c`;
    await Promise.all([archive.ensureFolder(path), newArchive().ensureFolder(path)]);
    expect((await stat(join(server.root, path))).isDirectory()).toBe(true);
  });

  it('shares one creation between concurrent callers of the same archive', async () => {
    const folder = await freshFolder();
    const path = `${folder}/x/y`;
    await Promise.all([archive.ensureFolder(path), archive.ensureFolder(path), archive.ensureFolder(path)]);
    expect((await stat(join(server.root, path))).isDirectory()).toBe(true);
    const mkcols = (await server.requests()).filter((entry) => entry.method === 'MKCOL');
    // x/y 409, x 201, x/y 201: once, not three times
    expect(mkcols.map((entry) => entry.status)).toEqual([409, 201, 201]);
  });

  it('fails when a file stands where a folder must be', async () => {
    const folder = await freshFolder();
    await writeFile(join(server.root, folder, 'blocked'), 'a file');
    const error = await rejectionOf(archive.ensureFolder(`${folder}/blocked/inner`));
    expect(error).toBeInstanceOf(NextcloudError);
    expect(error).toMatchObject({ method: 'MKCOL', status: 409, path: `${folder}/blocked/inner` });
  });
});

describe('uploadNew', () => {
  it('PUTs a Buffer with Content-Length and If-None-Match: *, never chunked', async () => {
    const folder = await freshFolder();
    const bytes = photoBytes(5000);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, bytes)).toBe('created');
    expect(await onDisk(`${folder}/photo_01.jpg`)).toEqual(bytes);
    const [putRequest] = (await server.requests()).filter((entry) => entry.method === 'PUT');
    expect(putRequest?.headers['content-length']).toBe('5000');
    expect(putRequest?.headers['transfer-encoding']).toBeUndefined();
    expect(putRequest?.headers['if-none-match']).toBe('*');
  });

  it('PUTs a stream with its declared Content-Length, not chunked, and stores every byte', async () => {
    const folder = await freshFolder();
    const bytes = photoBytes(300_000, 7);
    const outcome = await archive.uploadNew(`${folder}/photo_02.jpg`, async () => ({
      stream: streamOf(bytes, 16_384),
      size: bytes.length,
    }));
    expect(outcome).toBe('created');
    expect(await onDisk(`${folder}/photo_02.jpg`)).toEqual(bytes);
    const [putRequest] = (await server.requests()).filter((entry) => entry.method === 'PUT');
    expect(putRequest?.headers).toMatchObject({ 'content-length': '300000', 'if-none-match': '*' });
    expect(putRequest?.headers['transfer-encoding']).toBeUndefined();
  });

  it('checks the stored size with a PROPFIND after the PUT', async () => {
    const folder = await freshFolder();
    await archive.uploadNew(`${folder}/photo_01.jpg`, photoBytes(10));
    const calls = (await server.requests()).map((entry) =>
      `${entry.method} ${entry.headers.depth ?? ''}`.trim(),
    );
    expect(calls).toEqual(['PUT', 'PROPFIND 0']);
  });

  it("answers 'exists' on 412 and leaves the original bytes untouched", async () => {
    const folder = await freshFolder();
    const original = photoBytes(100, 3);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, original)).toBe('created');
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, photoBytes(200, 5))).toBe('exists');
    expect(await onDisk(`${folder}/photo_01.jpg`)).toEqual(original);
    const statuses = (await server.requests())
      .filter((entry) => entry.method === 'PUT')
      .map((entry) => entry.status);
    expect(statuses).toEqual([201, 412]);
  });

  it.each([404, 409] as const)('creates the missing parent on %i and uploads once more', async (status) => {
    await server.control({ missingParentStatus: status });
    const folder = await freshFolder();
    const path = `${folder}/Chantiers/20260325_Müller/30_Photos_Chantier/photo_01.jpg`;
    const bytes = photoBytes(2048);
    let opened = 0;
    const outcome = await archive.uploadNew(path, async () => {
      opened++;
      return { stream: streamOf(bytes), size: bytes.length };
    });
    expect(outcome).toBe('created');
    expect(opened).toBe(2); // a stream is read once: the second PUT gets a fresh one
    expect(await onDisk(path)).toEqual(bytes);
    const calls = (await server.requests()).map((entry) => `${entry.method} ${entry.status}`);
    expect(calls[0]).toBe(`PUT ${status}`);
    expect(calls.filter((call) => call.startsWith('PUT'))).toEqual([`PUT ${status}`, 'PUT 201']);
  });

  it('never asks Nextcloud to create the parent (no X-NC-WebDAV-Auto-Mkcol) and sends the SHA-1', async () => {
    const folder = await freshFolder();
    const bytes = photoBytes(10);
    expect(await archive.uploadNew(`${folder}/a/b/photo.jpg`, bytes)).toBe('created');
    const puts = (await server.requests()).filter((entry) => entry.method === 'PUT');
    expect(puts.map((entry) => entry.status)).toEqual([404, 201]);
    expect(puts.every((entry) => entry.headers['x-nc-webdav-auto-mkcol'] === undefined)).toBe(true);
    expect(puts[1]?.headers['oc-checksum']).toBe(`SHA1:${createHash('sha1').update(bytes).digest('hex')}`);
  });

  it("answers 'identical' when the name already holds these very bytes, by checksum not size", async () => {
    const folder = await freshFolder();
    const ours = photoBytes(100, 3);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, ours)).toBe('created');
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, ours)).toBe('identical');
    const sameSize = photoBytes(100, 4);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, sameSize)).toBe('exists');
    expect(await onDisk(`${folder}/photo_01.jpg`)).toEqual(ours);
  });

  it("takes a file of the same size without a checksum (someone else's) as 'exists'", async () => {
    const folder = await freshFolder();
    const bytes = photoBytes(50);
    await writeFile(join(server.root, folder, 'photo_01.jpg'), bytes);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, bytes)).toBe('exists');
  });

  it('tries a PUT again after a pause while the path is locked (423), then lets the job retry', async () => {
    const folder = await freshFolder();
    await server.control({ failNext: { status: 423, method: 'PUT', times: LOCKED_TRIES - 1 } });
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, photoBytes(10))).toBe('created');
    await server.control({ lockedPaths: [folder] });
    const error = await rejectionOf(archive.uploadNew(`${folder}/photo_02.jpg`, photoBytes(10)));
    expect(error).toMatchObject({ name: 'NextcloudError', status: 423 });
    expect(nextcloudFailureDecision(error).action).toBe('retry');
    const locked = (await server.requests()).filter((entry) => entry.status === 423);
    expect(locked).toHaveLength(2 * LOCKED_TRIES - 1);
  });

  it('loses nothing when an album goes into a new folder in parallel, against Nextcloud 32 races', async () => {
    await server.control({ folderRace: true });
    const folder = await freshFolder();
    const album = `${folder}/Chantiers/20260325_Müller/30_Photos_Chantier`;
    const photos = Array.from({ length: 5 }, (_, index) => photoBytes(1000 + index, index));
    await archive.ensureFolder(album);
    const outcomes = await Promise.all(
      photos.map(async (bytes, index) => archive.uploadNew(`${album}/photo_0${index + 1}.jpg`, bytes)),
    );
    expect(outcomes).toEqual(photos.map(() => 'created'));
    for (const [index, bytes] of photos.entries()) {
      expect(await onDisk(`${album}/photo_0${index + 1}.jpg`)).toEqual(bytes);
    }
  });

  it('fails with the second PUT when the parent cannot be used even after creating it', async () => {
    const folder = await freshFolder();
    await archive.ensureFolder(`${folder}/p`);
    await server.control({ reset: true });
    // Both PUTs refused as if the folder vanished each time in between.
    await server.control({ failNext: { status: 409, method: 'PUT', times: 2 } });
    const error = await rejectionOf(archive.uploadNew(`${folder}/p/photo.jpg`, photoBytes(10)));
    expect(error).toMatchObject({ name: 'NextcloudError', method: 'PUT', status: 409 });
    expect(nextcloudFailureDecision(error).action).toBe('retry');
  });

  it('replaces an empty leftover of an earlier failed upload instead of reporting it as existing', async () => {
    const folder = await freshFolder();
    await writeFile(join(server.root, folder, 'photo_01.jpg'), '');
    const bytes = photoBytes(700);
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, bytes)).toBe('created');
    expect(await onDisk(`${folder}/photo_01.jpg`)).toEqual(bytes);
    const puts = (await server.requests()).filter((entry) => entry.method === 'PUT');
    expect(puts.map((entry) => entry.status)).toEqual([412, 204]);
  });

  it("does not replace another non-empty file: 'exists'", async () => {
    const folder = await freshFolder();
    await writeFile(join(server.root, folder, 'photo_01.jpg'), 'someone else');
    expect(await archive.uploadNew(`${folder}/photo_01.jpg`, photoBytes(700))).toBe('exists');
    expect(await onDisk(`${folder}/photo_01.jpg`)).toEqual(Buffer.from('someone else'));
  });

  it('refuses a size that does not match the body before sending anything', async () => {
    const folder = await freshFolder();
    expect(await rejectionOf(archive.uploadNew(`${folder}/p.jpg`, photoBytes(10), 11))).toBeInstanceOf(
      RangeError,
    );
    expect(await server.requests()).toEqual([]);
  });

  it('rethrows the source stream’s own error when it fails mid-upload', async () => {
    const folder = await freshFolder();
    const downloadFailed = new Error('download from Telegram failed');
    async function* failing(): AsyncGenerator<Buffer> {
      yield photoBytes(1000);
      throw downloadFailed;
    }
    const error = await rejectionOf(
      archive.uploadNew(`${folder}/p.jpg`, async () => ({ stream: Readable.from(failing()), size: 5000 })),
    );
    expect(error).toBe(downloadFailed);
  });
});

describe('writeTextNew', () => {
  it('writes UTF-8 text once, then answers exists', async () => {
    const folder = await freshFolder();
    const markdown = '# SAV-0042 — Müller\n\n- fuite ✔\n';
    expect(await archive.writeTextNew(`${folder}/SAV-0042.md`, markdown)).toBe('created');
    expect(await archive.writeTextNew(`${folder}/SAV-0042.md`, 'autre')).toBe('exists');
    expect((await onDisk(`${folder}/SAV-0042.md`)).toString('utf8')).toBe(markdown);
    const [putRequest] = (await server.requests()).filter((entry) => entry.method === 'PUT');
    expect(putRequest?.headers['content-length']).toBe(String(Buffer.byteLength(markdown)));
  });
});

describe('refusals', () => {
  const cases = [
    { status: 507, action: 'fail', words: /quota/u },
    { status: 401, action: 'fail', words: /app password/u },
    { status: 423, action: 'retry', words: /423/u },
    { status: 503, action: 'retry', words: /503/u },
    { status: 502, action: 'retry', words: /502/u },
    { status: 429, action: 'retry', words: /429/u },
  ] as const;

  it.each(cases)('PUT answered $status → NextcloudError, $action', async ({ status, action, words }) => {
    const folder = await freshFolder();
    // A 423 is tried again on the spot a few times before the job's own retry.
    await server.control({ failNext: { status, method: 'PUT', times: status === 423 ? LOCKED_TRIES : 1 } });
    const error = await rejectionOf(archive.uploadNew(`${folder}/photo_01.jpg`, photoBytes(10)));
    expect(error).toBeInstanceOf(NextcloudError);
    expect(error).toMatchObject({ method: 'PUT', status, path: `${folder}/photo_01.jpg` });
    expect((error as NextcloudError).serverMessage).toBe(`Injected failure ${status}`);
    const decision = nextcloudFailureDecision(error);
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(words);
    if (status === 429) expect(decision).toMatchObject({ delayMs: THROTTLED_DELAY_MS });
    expectNoSecret(error);
  });

  it('MKCOL answered 507 → NextcloudError, fail', async () => {
    const folder = await freshFolder();
    await server.control({ failNext: { status: 507, method: 'MKCOL' } });
    const error = await rejectionOf(archive.ensureFolder(`${folder}/new`));
    expect(error).toMatchObject({ name: 'NextcloudError', method: 'MKCOL', status: 507 });
    expect(nextcloudFailureDecision(error).action).toBe('fail');
  });

  it('a wrong app password → 401, fail once, and nothing of the password in the error', async () => {
    const wrongPassword = 'fake-wrong/pass word+NOT-real';
    const wrong = newArchive({ password: wrongPassword });
    const error = await rejectionOf(wrong.listFolder(''));
    expect(error).toMatchObject({ name: 'NextcloudError', method: 'PROPFIND', status: 401, path: '' });
    expect(nextcloudFailureDecision(error).action).toBe('fail');
    const text = everyRendering(error);
    expect(text).not.toContain(wrongPassword);
    expect(text).not.toContain(Buffer.from(`${USER}:${wrongPassword}`).toString('base64'));
  });

  it('a name Nextcloud forbids → 400 with its reason, fail', async () => {
    const folder = await freshFolder();
    const error = await rejectionOf(archive.uploadNew(`${folder}/photo.part`, photoBytes(10)));
    expect(error).toMatchObject({ name: 'NextcloudError', status: 400, serverRetry: false });
    expect((error as NextcloudError).serverMessage).toMatch(/forbidden file type/u);
    expect(nextcloudFailureDecision(error).action).toBe('fail');
  });
});

/** A local HTTP server for what sabre cannot do: never answer, or lose PUT bodies. */
async function startLocalServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const local: Server = createServer(handler);
  local.listen(0, '127.0.0.1');
  await new Promise((resolve) => local.once('listening', resolve));
  const { port } = local.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      local.closeAllConnections();
      await new Promise((resolve) => local.close(resolve));
    },
  };
}

describe('transport failures', () => {
  it('no answer within timeoutMs → NextcloudTransportError, retry, no secret', async () => {
    const silent = await startLocalServer(() => undefined);
    try {
      const impatient = newArchive({ url: silent.url, timeoutMs: 200 });
      const error = await rejectionOf(impatient.listFolder('Chantiers'));
      expect(error).toBeInstanceOf(NextcloudTransportError);
      expect(error).toMatchObject({ method: 'PROPFIND', path: 'Chantiers', code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(nextcloudFailureDecision(error).action).toBe('retry');
      expectNoSecret(error);
    } finally {
      await silent.close();
    }
  });

  it('connection refused → NextcloudTransportError, retry, no secret', async () => {
    const gone = await startLocalServer(() => undefined);
    await gone.close();
    const error = await rejectionOf(newArchive({ url: gone.url }).ensureFolder('Chantiers'));
    expect(error).toMatchObject({ name: 'NextcloudTransportError', code: 'ECONNREFUSED' });
    expect(nextcloudFailureDecision(error).action).toBe('retry');
    expectNoSecret(error);
  });

  it('a PUT stored with another size (a front end losing the body) is removed and retried', async () => {
    // Forwards everything to sabre, but PUT bodies arrive empty: the zero-byte trap.
    const lossy = await startLocalServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = { ...req.headers } as Record<string, string>;
        delete headers.host;
        const body = req.method === 'PUT' ? Buffer.alloc(0) : Buffer.concat(chunks);
        headers['content-length'] = String(body.length);
        const answer = await request(`${server.url}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers,
          ...(body.length > 0 || req.method === 'PUT' ? { body } : {}),
        });
        res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
        res.end(Buffer.from(await answer.body.arrayBuffer()));
      })();
    });
    try {
      const folder = await freshFolder();
      const path = `${folder}/photo_01.jpg`;
      const bytes = photoBytes(4096);
      const error = await rejectionOf(newArchive({ url: lossy.url }).uploadNew(path, bytes));
      expect(error).toBeInstanceOf(NextcloudTransportError);
      expect(error).toMatchObject({ method: 'PUT', path, code: 'STORED_SIZE_MISMATCH' });
      expect((error as Error).message).toContain('sent 4096 bytes, found file of 0 bytes stored');
      expect(nextcloudFailureDecision(error).action).toBe('retry');
      expectNoSecret(error);
      expect(await readdir(join(server.root, folder))).toEqual([]); // removed: it cannot block the retry
      expect(await archive.uploadNew(path, bytes)).toBe('created');
      expect(await onDisk(path)).toEqual(bytes);
    } finally {
      await lossy.close();
    }
  });
});

describe('nextcloudFailureDecision', () => {
  const refusal = (status: number, extra: Partial<ConstructorParameters<typeof NextcloudError>[0]> = {}) =>
    new NextcloudError({ method: 'PUT', path: 'a/b.jpg', status, ...extra });

  it('waits what Retry-After says on 429 and 503', () => {
    expect(nextcloudFailureDecision(refusal(429, { retryAfter: 30 }))).toMatchObject({
      action: 'retry',
      delayMs: 30_000,
    });
    expect(nextcloudFailureDecision(refusal(503, { retryAfter: 5 }))).toMatchObject({
      action: 'retry',
      delayMs: 5000,
    });
    expect(nextcloudFailureDecision(refusal(503))).not.toHaveProperty('delayMs');
  });

  it('retries 404/409 (parent gone again), 408, 500 and 504; fails 403, 413, 415 and redirects', () => {
    for (const status of [404, 408, 409, 500, 504]) {
      expect(nextcloudFailureDecision(refusal(status)).action, String(status)).toBe('retry');
    }
    for (const status of [403, 413, 415, 301]) {
      expect(nextcloudFailureDecision(refusal(status)).action, String(status)).toBe('fail');
    }
    expect(nextcloudFailureDecision(refusal(301)).reason).toMatch(/NEXTCLOUD_URL/u);
  });

  it("retries a 400 only when Nextcloud's o:retry says so", () => {
    expect(nextcloudFailureDecision(refusal(400, { serverRetry: true })).action).toBe('retry');
    expect(nextcloudFailureDecision(refusal(400, { serverRetry: false })).action).toBe('fail');
    expect(nextcloudFailureDecision(refusal(400)).action).toBe('fail');
  });

  it('retries anything that is not a Nextcloud error', () => {
    expect(nextcloudFailureDecision(new TypeError('boom'))).toEqual({
      action: 'retry',
      reason: 'unexpected TypeError around a Nextcloud call: boom',
    });
  });
});

describe('error details', () => {
  it("keeps sabre's message and o:retry, redacted, and nothing from an HTML page", () => {
    const xml = `<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:o="http://owncloud.org/ns">
      <s:exception>Sabre\\DAV\\Exception</s:exception><s:message>bad &amp; ${PASSWORD} at http://x.test/a</s:message>
      <o:retry>true</o:retry></d:error>`;
    expect(parseErrorBody(xml, [PASSWORD])).toEqual({
      serverMessage: 'bad & [redacted] at [url]',
      serverRetry: true,
    });
    expect(parseErrorBody('<html><body>502 Bad Gateway</body></html>', [])).toEqual({
      serverMessage: undefined,
      serverRetry: undefined,
    });
  });
});
