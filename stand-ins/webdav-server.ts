import { freePort } from './loopback.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/**
 * A real WebDAV server that behaves like Nextcloud: sabre/dav (Debian's php-sabre-dav) run by
 * PHP's built-in server behind stand-ins/webdav/nextcloud-dav.php. Used by tests and by the
 * sandbox, so it imports nothing from vitest. Needs tools/install-debian-packages.sh to have run.
 */

export interface WebDavServerOptions {
  readonly user: string;
  readonly password: string;
  /** Folder holding the user's files. Default: a fresh temporary folder, removed by close(). */
  readonly root?: string;
  /** PHP_CLI_SERVER_WORKERS: requests served in parallel, so races really race. Default 4. */
  readonly workers?: number;
  readonly phpBinary?: string;
}

/** Answer the next `times` (default 1) requests matching `method` and the `path` substring with `status`. */
export interface WebDavFailureRule {
  readonly status: number;
  readonly times?: number;
  readonly method?: string;
  readonly path?: string;
}

export interface WebDavControlCommand {
  /** Clears injected failures, locks and the request log; restores Nextcloud 32's defaults. */
  readonly reset?: true;
  /** PUT into a missing folder: 404 (Nextcloud 32, the default) or 409 (RFC 4918, Apache). */
  readonly missingParentStatus?: 404 | 409;
  /** Honour `X-NC-WebDAV-Auto-Mkcol: 1` on PUT, as Nextcloud 32 does (the default). */
  readonly autoMkcol?: boolean;
  /**
   * Every creation of a missing folder loses the race to a parallel request, as Nextcloud's
   * check-then-create does under parallel uploads: the folder appears, and a MKCOL is answered
   * 403 "Could not create directory", an auto-mkcol PUT 423, 404 and 403 in turn.
   */
  readonly folderRace?: boolean;
  /** Paths (relative to the user's files) where every write is answered 423 "… is locked". */
  readonly lockedPaths?: readonly string[];
  /** The app password from now on (the office revoked the first one); null: the one started with. */
  readonly password?: string | null;
  readonly failNext?: WebDavFailureRule | readonly WebDavFailureRule[];
}

export interface WebDavSwitches {
  readonly failures: readonly {
    status: number;
    remaining: number;
    method: string | null;
    path: string | null;
  }[];
  readonly missingParentStatus: 404 | 409;
  readonly autoMkcol: boolean;
  readonly folderRace: boolean;
  /** Auto-mkcol PUTs answered as race losers so far. */
  readonly racesLost: number;
  readonly lockedPaths: readonly string[];
  readonly password: string | null;
}

/** One WebDAV request as the server saw it; `path` is percent-decoded but not NFC-normalised. */
export interface RecordedDavRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /**
   * Lower-cased: content-length, transfer-encoding, if-none-match, depth, destination, overwrite,
   * x-nc-webdav-auto-mkcol, oc-checksum.
   */
  readonly headers: Readonly<Record<string, string>>;
}

export interface WebDavServer {
  /** What NEXTCLOUD_URL would be, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** The user's files collection: `${url}/remote.php/dav/files/${user}/`. */
  readonly davUrl: string;
  /** Folder on disk holding the user's files. */
  readonly root: string;
  control(command: WebDavControlCommand): Promise<WebDavSwitches>;
  requests(): Promise<RecordedDavRequest[]>;
  /** Stops php and every worker it forked; throws if one survives. Idempotent. */
  close(): Promise<void>;
}

const ROUTER_SCRIPT = fileURLToPath(new URL('./webdav/nextcloud-dav.php', import.meta.url));
const PORT_ATTEMPTS = 5;
const READY_PROBES = 40;
const EXIT_CHECKS = 100;
const STDERR_LINES_KEPT = 40;

export async function startWebDavServer(options: WebDavServerOptions): Promise<WebDavServer> {
  const stateDir = await mkdtemp(join(tmpdir(), 'nextcloud-dav-state-'));
  const ownsRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'nextcloud-dav-root-')));
  const removeFolders = async () => {
    await rm(stateDir, { recursive: true, force: true });
    if (ownsRoot) await rm(root, { recursive: true, force: true });
  };
  try {
    const running = await spawnOnFreePort(options, root, stateDir);
    return describeServer(running, options.user, root, removeFolders);
  } catch (error) {
    await removeFolders();
    throw error;
  }
}

interface RunningPhp {
  readonly child: ChildProcess;
  readonly pgid: number;
  readonly url: string;
  readonly forgetOnExit: () => void;
}

async function spawnOnFreePort(
  options: WebDavServerOptions,
  root: string,
  stateDir: string,
): Promise<RunningPhp> {
  let lastError: unknown;
  // Another process can take the port between our probe and php binding it: try again then.
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await spawnPhp(options, root, stateDir, port);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PhpStartError) || !error.portTaken) throw error;
    }
  }
  throw lastError;
}

class PhpStartError extends Error {
  readonly portTaken: boolean;
  constructor(message: string, portTaken: boolean) {
    super(message);
    this.name = 'PhpStartError';
    this.portTaken = portTaken;
  }
}

async function spawnPhp(
  options: WebDavServerOptions,
  root: string,
  stateDir: string,
  port: number,
): Promise<RunningPhp> {
  const workers = options.workers ?? 4;
  const args = [
    ...['-d', 'display_errors=0', '-d', 'log_errors=1', '-d', 'post_max_size=0', '-d', 'memory_limit=256M'],
    ...['-S', `127.0.0.1:${port}`, '-t', stateDir, ROUTER_SCRIPT],
  ];
  const child = spawn(options.phpBinary ?? 'php', args, {
    // Own process group: close() signals php and all its workers at once.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      DAV_ROOT: root,
      DAV_STATE_DIR: stateDir,
      DAV_USER: options.user,
      DAV_PASSWORD: options.password,
      ...(workers > 1 ? { PHP_CLI_SERVER_WORKERS: String(workers) } : {}),
    },
  });
  const stderr = keepStderrTail(child);
  const pgid = await spawned(child);
  // A test runner that dies without close() must not leave php behind.
  const killOnExit = () => {
    signalGroup(pgid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  const running: RunningPhp = {
    child,
    pgid,
    url: `http://127.0.0.1:${port}`,
    forgetOnExit: () => process.off('exit', killOnExit),
  };
  try {
    await untilListening(child, stderr);
    await untilAnswering(running.url);
    return running;
  } catch (error) {
    await stopGroup(running);
    throw error;
  }
}

function keepStderrTail(child: ChildProcess): string[] {
  const lines: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - STDERR_LINES_KEPT));
  });
  return lines;
}

async function spawned(child: ChildProcess): Promise<number> {
  try {
    await once(child, 'spawn'); // rejects with the 'error' event, e.g. php not installed
  } catch (error) {
    throw new PhpStartError(`cannot start php: ${(error as Error).message}`, false);
  }
  return child.pid!;
}

/** Resolves when php prints that it listens; rejects if it exits first (e.g. port taken). */
async function untilListening(child: ChildProcess, stderr: string[]): Promise<void> {
  const stream = child.stderr!;
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (stderr.some((line) => line.includes('Development Server') && line.includes('started'))) finish();
    };
    const onExit = () => {
      const output = stderr.join('\n');
      finish(
        new PhpStartError(
          `php exited before listening:\n${output}`,
          output.includes('Address already in use'),
        ),
      );
    };
    const finish = (error?: Error) => {
      stream.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    stream.on('data', onData);
    child.on('exit', onExit);
    onData();
  });
}

/** php says it listens; this proves a request really gets through (bounded attempts). */
async function untilAnswering(url: string): Promise<void> {
  let lastError: unknown;
  for (let probe = 0; probe < READY_PROBES; probe++) {
    try {
      const response = await request(`${url}/__control`);
      await response.body.dump();
      if (response.statusCode === 200) return;
      lastError = new Error(`control endpoint answered ${response.statusCode}`);
    } catch (error) {
      lastError = error;
    }
    await delay(25);
  }
  throw new Error('WebDAV server never answered', { cause: lastError });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes of the group that are still alive (zombies waiting to be reaped do not count). */
async function livingGroupMembers(pgid: number): Promise<number[]> {
  const living: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after "(comm)": state ppid pgrp …; comm itself may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') living.push(Number(entry));
  }
  return living;
}

async function stopGroup(running: RunningPhp): Promise<void> {
  running.forgetOnExit();
  const exited = running.child.exitCode !== null || running.child.signalCode !== null;
  const exit = exited ? Promise.resolve() : once(running.child, 'exit');
  signalGroup(running.pgid, 'SIGTERM');
  await exit;
  for (let check = 0; check < EXIT_CHECKS; check++) {
    if ((await livingGroupMembers(running.pgid)).length === 0) return;
    // Workers stop a moment after their parent; insist after half of the checks.
    if (check === EXIT_CHECKS / 2) signalGroup(running.pgid, 'SIGKILL');
    await delay(10);
  }
  const survivors = await livingGroupMembers(running.pgid);
  if (survivors.length > 0) throw new Error(`php processes survived close(): ${survivors.join(', ')}`);
}

function describeServer(
  running: RunningPhp,
  user: string,
  root: string,
  removeFolders: () => Promise<void>,
): WebDavServer {
  let closing: Promise<void> | undefined;
  return {
    url: running.url,
    davUrl: `${running.url}/remote.php/dav/files/${encodeURIComponent(user)}/`,
    root,
    async control(command) {
      return (await controlRequest(running.url, 'POST', '/__control', command)) as WebDavSwitches;
    },
    async requests() {
      return (await controlRequest(running.url, 'GET', '/__control/requests')) as RecordedDavRequest[];
    },
    close() {
      closing ??= stopGroup(running).finally(removeFolders);
      return closing;
    },
  };
}

async function controlRequest(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await request(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const answer: unknown = await response.body.json();
  if (response.statusCode !== 200) {
    throw new Error(
      `WebDAV control ${method} ${path} answered ${response.statusCode}: ${JSON.stringify(answer)}`,
    );
  }
  return answer;
}
