import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type FileStat, type WebDAVClient } from 'webdav';
import { startWebDavServer, type WebDavServer } from './webdav-server.ts';

const USER = 'etm-test';
const PASSWORD = 'fake-app-password-not-real';

let server: WebDavServer;
let client: WebDAVClient;

beforeAll(async () => {
  server = await startWebDavServer({ user: USER, password: PASSWORD });
  client = createClient(server.davUrl, { username: USER, password: PASSWORD });
});
afterAll(async () => server.close());
afterEach(async () => server.control({ reset: true }));

const basic = (password = PASSWORD) => `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;

/** A raw request, for what the webdav client hides (status codes, headers). */
async function dav(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
) {
  const response = await request(new URL(path, server.davUrl), {
    method,
    headers: { authorization: basic(), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

const statusOf = async (operation: Promise<unknown>): Promise<number | undefined> =>
  operation.then(
    () => undefined,
    (error: unknown) => (error as { status?: number }).status,
  );

/** A unique folder per test, so tests do not depend on each other's files. */
let folderCount = 0;
async function freshFolder(): Promise<string> {
  const folder = `/t${++folderCount}`;
  await client.createDirectory(folder);
  return folder;
}

describe('startWebDavServer', () => {
  it('serves the user files under /remote.php/dav/files/<user>/ from the root folder', async () => {
    expect(server.davUrl).toBe(`${server.url}/remote.php/dav/files/${USER}/`);
    const folder = await freshFolder();
    await client.putFileContents(`${folder}/note.txt`, 'bonjour');
    expect(await readFile(join(server.root, folder, 'note.txt'), 'utf8')).toBe('bonjour');
  });

  it('answers 401 with a Basic challenge without the right credentials', async () => {
    const wrong = createClient(server.davUrl, { username: USER, password: 'wrong' });
    expect(await statusOf(wrong.getDirectoryContents('/'))).toBe(401);
    const anonymous = await request(server.davUrl, { method: 'PROPFIND' });
    await anonymous.body.dump();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="Nextcloud"/);
  });

  it("does not serve another user's files", async () => {
    const other = await request(`${server.url}/remote.php/dav/files/someone-else/`, {
      method: 'PROPFIND',
      headers: { authorization: basic() },
    });
    await other.body.dump();
    expect(other.statusCode).toBe(404);
  });

  it('answers MKCOL 201, then 405 when the folder exists, and 409 without a parent', async () => {
    const folder = await freshFolder();
    expect((await dav('MKCOL', `.${folder}/Photos`)).status).toBe(201);
    expect((await dav('MKCOL', `.${folder}/Photos`)).status).toBe(405);
    expect((await dav('MKCOL', `.${folder}/missing/Photos`)).status).toBe(409);
    expect(await statusOf(client.createDirectory(`${folder}/Photos`))).toBe(405);
  });

  it('lets concurrent MKCOLs of one folder each either create it or find it there', async () => {
    const folder = await freshFolder();
    const statuses = await Promise.all(Array.from({ length: 6 }, () => dav('MKCOL', `.${folder}/race`)));
    expect(statuses.map((answer) => answer.status).every((status) => status === 201 || status === 405)).toBe(
      true,
    );
    expect((await stat(join(server.root, folder, 'race'))).isDirectory()).toBe(true);
  });

  it('stores the whole body of a PUT sent with Content-Length, and reports its size in PROPFIND', async () => {
    const folder = await freshFolder();
    const photo = Buffer.alloc(300_000, 7);
    await client.putFileContents(`${folder}/photo.jpg`, Readable.from([photo]), {
      headers: { 'Content-Length': String(photo.length) },
    });
    expect((await readFile(join(server.root, folder, 'photo.jpg'))).equals(photo)).toBe(true);
    const entry = (await client.stat(`${folder}/photo.jpg`)) as FileStat;
    expect(entry.size).toBe(photo.length);
    const [put] = (await server.requests()).filter((seen) => seen.method === 'PUT');
    expect(put?.headers['content-length']).toBe(String(photo.length));
  });

  it('answers 201 for a new file and 204 when a plain PUT overwrites it', async () => {
    const folder = await freshFolder();
    expect((await dav('PUT', `.${folder}/a.txt`, {}, 'one')).status).toBe(201);
    expect((await dav('PUT', `.${folder}/a.txt`, {}, 'two')).status).toBe(204);
    expect(await readFile(join(server.root, folder, 'a.txt'), 'utf8')).toBe('two');
  });

  it('answers 412 to If-None-Match: * on an existing file and keeps the file', async () => {
    const folder = await freshFolder();
    await client.putFileContents(`${folder}/a.txt`, 'first');
    expect((await dav('PUT', `.${folder}/a.txt`, { 'if-none-match': '*' }, 'second')).status).toBe(412);
    expect(await client.putFileContents(`${folder}/a.txt`, 'third', { overwrite: false })).toBe(false);
    expect(await readFile(join(server.root, folder, 'a.txt'), 'utf8')).toBe('first');
    expect((await dav('PUT', `.${folder}/b.txt`, { 'if-none-match': '*' }, 'new')).status).toBe(201);
  });

  it('normalises names to NFC: an NFD name lands on disk as NFC and finds the NFC folder', async () => {
    const folder = await freshFolder();
    const nfc = 'Müller'.normalize('NFC');
    const nfd = 'Müller'.normalize('NFD');
    await client.createDirectory(`${folder}/${nfd}`);
    expect(await readdir(join(server.root, folder))).toEqual([nfc]);
    await client.putFileContents(`${folder}/${nfc}/photo_01.jpg`, 'x');
    await client.putFileContents(`${folder}/${nfd}/Élise.jpg`.normalize('NFD'), 'y');
    expect((await readdir(join(server.root, folder, nfc))).sort()).toEqual([
      'photo_01.jpg',
      'Élise.jpg'.normalize('NFC'),
    ]);
    expect(await statusOf(client.createDirectory(`${folder}/${nfc}`))).toBe(405);
  });

  it.each([
    ['.htaccess', '.htaccess'],
    ['a backslash', 'a\\b.jpg'],
    ['a trailing dot', 'photo.'],
    ['a trailing space', 'photo '],
    ['a .part extension', 'photo.jpg.part'],
    ['a .filepart extension', 'photo.filepart'],
    ['a control character', 'photo\u0001.jpg'],
    ['more than 250 bytes', `${'é'.repeat(126)}.jpg`],
  ])('refuses to create a name with %s (400) and writes nothing', async (_case, name) => {
    const folder = await freshFolder();
    const put = await dav('PUT', `.${folder}/${encodeURIComponent(name)}`, {}, 'x');
    expect(put.status).toBe(400);
    expect(put.text).toContain('InvalidPath');
    expect((await dav('MKCOL', `.${folder}/${encodeURIComponent(name)}`)).status).toBe(400);
    expect(await readdir(join(server.root, folder))).toEqual([]);
  });

  it('answers a PUT into a missing folder 404 as Nextcloud 32 does, and 409 when switched', async () => {
    const folder = await freshFolder();
    const missing = await dav('PUT', `.${folder}/missing/a.txt`, {}, 'x');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('could not be located');
    await server.control({ missingParentStatus: 409 });
    expect((await dav('PUT', `.${folder}/missing/a.txt`, {}, 'x')).status).toBe(409);
    expect(await readdir(join(server.root, folder))).toEqual([]);
  });

  it('creates missing folders for X-NC-WebDAV-Auto-Mkcol: 1, unless switched off', async () => {
    const folder = await freshFolder();
    const autoMkcol = { 'x-nc-webdav-auto-mkcol': '1' };
    expect((await dav('PUT', `.${folder}/a/b/c.txt`, autoMkcol, 'x')).status).toBe(201);
    expect(await readFile(join(server.root, folder, 'a/b/c.txt'), 'utf8')).toBe('x');
    await server.control({ autoMkcol: false });
    expect((await dav('PUT', `.${folder}/d/e.txt`, autoMkcol, 'x')).status).toBe(404);
  });

  it('with the folder race on, an auto-mkcol PUT into a new folder gets 423, 404, 403 in turn, the folder made', async () => {
    const folder = await freshFolder();
    await server.control({ folderRace: true });
    const autoMkcol = { 'x-nc-webdav-auto-mkcol': '1' };
    const answers = [];
    for (const name of ['a', 'b', 'c'])
      answers.push(await dav('PUT', `.${folder}/${name}/p.jpg`, autoMkcol, 'x'));
    expect(answers.map((answer) => answer.status)).toEqual([423, 404, 403]);
    expect(answers[0]!.text).toContain(`"${folder.slice(1)}/a" is locked`);
    expect(answers[1]!.text).toContain(`File with name /${folder}/b could not be located`);
    expect(answers[2]!.text).toContain(`Could not create directory ${folder}/c`);
    expect((await readdir(join(server.root, folder))).sort()).toEqual(['a', 'b', 'c']);
    expect((await dav('PUT', `.${folder}/a/p.jpg`, autoMkcol, 'x')).status).toBe(201);
    expect((await server.control({})).racesLost).toBe(3);
  });

  it('with the folder race on, a MKCOL of a new folder answers 403 although the folder now exists', async () => {
    const folder = await freshFolder();
    await server.control({ folderRace: true });
    const lost = await dav('MKCOL', `.${folder}/new`);
    expect(lost.status).toBe(403);
    expect(lost.text).toContain(`Could not create directory ${folder}/new`);
    expect((await stat(join(server.root, folder, 'new'))).isDirectory()).toBe(true);
    expect((await dav('MKCOL', `.${folder}/new`)).status).toBe(405);
    expect((await dav('MKCOL', `.${folder}/missing/new`)).status).toBe(409);
  });

  it('answers 423 "is locked" to every write at or under a locked path, and serves reads', async () => {
    const folder = await freshFolder();
    await client.putFileContents(`${folder}/a.txt`, 'x');
    await server.control({ lockedPaths: [folder.slice(1)] });
    const locked = await dav('PUT', `.${folder}/b.txt`, {}, 'y');
    expect(locked.status).toBe(423);
    expect(locked.text).toContain('FileLocked');
    expect((await dav('MKCOL', `.${folder}/sub`)).status).toBe(423);
    expect((await dav('DELETE', `.${folder}/a.txt`)).status).toBe(423);
    expect((await dav('GET', `.${folder}/a.txt`)).status).toBe(200);
    await server.control({ lockedPaths: [] });
    expect((await dav('PUT', `.${folder}/b.txt`, {}, 'y')).status).toBe(201);
  });

  it('stores OC-Checksum and returns it as oc:checksums when asked, and clears it on a plain overwrite', async () => {
    const folder = await freshFolder();
    const checksum = 'SHA1:a9993e364706816aba3e25717850c26c9cd0d89d';
    expect((await dav('PUT', `.${folder}/a.txt`, { 'oc-checksum': checksum }, 'abc')).status).toBe(201);
    const asked = `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getetag/><oc:checksums/></d:prop></d:propfind>`;
    const found = await dav('PROPFIND', `.${folder}/a.txt`, { depth: '0' }, asked);
    expect(found.text).toContain(`<oc:checksum>${checksum}</oc:checksum>`);
    expect(found.text).toMatch(/<d:getetag>"[^<]+"<\/d:getetag>/);
    await dav('PUT', `.${folder}/a.txt`, {}, 'abcd');
    const cleared = await dav('PROPFIND', `.${folder}/a.txt`, { depth: '0' }, asked);
    expect(cleared.text).not.toContain('oc:checksum>');
    expect(cleared.text).toContain('404 Not Found');
  });

  it('lists names with lowercase percent-encoding, as Nextcloud does', async () => {
    const folder = await freshFolder();
    await client.putFileContents(`${folder}/Müller.txt`, 'x');
    const listing = await dav('PROPFIND', `.${folder}`, { depth: '1' });
    expect(listing.text).toContain('M%c3%bcller.txt');
  });

  it('refuses the NFD twin of an existing NFC name with 412 under If-None-Match', async () => {
    const folder = await freshFolder();
    await client.putFileContents(`${folder}/${'Müller'.normalize('NFC')}.txt`, 'x');
    const twin = `.${folder}/${encodeURIComponent('Müller'.normalize('NFD'))}.txt`;
    expect((await dav('PUT', twin, { 'if-none-match': '*' }, 'y')).status).toBe(412);
  });

  it('answers the next N matching requests with an injected failure, then serves normally', async () => {
    const folder = await freshFolder();
    await server.control({ failNext: { status: 507, times: 2, method: 'PUT' } });
    expect((await dav('PROPFIND', `.${folder}`, { depth: '0' })).status).toBe(207);
    expect((await dav('PUT', `.${folder}/a.txt`, {}, 'x')).status).toBe(507);
    expect((await dav('PUT', `.${folder}/a.txt`, {}, 'x')).status).toBe(507);
    expect(await readdir(join(server.root, folder))).toEqual([]);
    expect((await dav('PUT', `.${folder}/a.txt`, {}, 'x')).status).toBe(201);
  });

  it.each([423, 503, 401, 429])('can inject %i once, for a path', async (status) => {
    const folder = await freshFolder();
    await server.control({ failNext: { status, path: `${folder}/target` } });
    expect((await dav('MKCOL', `.${folder}/other`)).status).toBe(201);
    const failed = await dav('MKCOL', `.${folder}/target`);
    expect(failed.status).toBe(status);
    if (status === 401) expect(failed.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await dav('MKCOL', `.${folder}/target`)).status).toBe(201);
  });

  it('refuses a failure rule without an error status', async () => {
    await expect(server.control({ failNext: { status: 200 } })).rejects.toThrow(/400/);
    await expect(server.control({ missingParentStatus: 500 as 404 })).rejects.toThrow(/400/);
  });

  it('records each request with its status and length headers', async () => {
    const folder = await freshFolder();
    await dav('PUT', `.${folder}/Mu%CC%88ller.txt`, { 'if-none-match': '*' }, 'abc');
    const seen = (await server.requests()).at(-1);
    expect(seen).toEqual({
      method: 'PUT',
      path: `/remote.php/dav/files/${USER}${folder}/${'Müller'.normalize('NFD')}.txt`,
      status: 201,
      headers: { 'content-length': '3', 'if-none-match': '*' },
    });
  });
});

describe('WebDavServer.close', () => {
  it('stops php and all its workers, and removes a root it created', async () => {
    const own = await startWebDavServer({ user: USER, password: PASSWORD, workers: 3 });
    const port = new URL(own.url).port;
    expect(await phpProcessesListeningOn(port)).toHaveLength(4);
    await own.close();
    expect(await phpProcessesListeningOn(port)).toEqual([]);
    await expect(stat(own.root)).rejects.toThrow(/ENOENT/);
    await expect(request(own.url)).rejects.toThrow();
    await own.close(); // idempotent
  });
});

/** Living processes whose command line is php serving this port. */
async function phpProcessesListeningOn(port: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (commandLine.includes(`127.0.0.1:${port}`) && !/^State:\s+Z/m.test(status)) found.push(Number(entry));
  }
  return found;
}
