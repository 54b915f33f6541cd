import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { Update } from '../../src/telegram/update-schema.ts';

/**
 * The real service (`node src/server.ts`) as a child process, for tests that must kill it the
 * hard way (SIGKILL) and start it again on the same database. It listens on a free port of
 * 127.0.0.1 (PORT=0) and its address is read from its own "Server listening" log line.
 */

export interface ServiceProcessOptions {
  /** Settings of the service (BOTS, tokens, TELEGRAM_API_URL…), on top of the defaults below. */
  readonly env: Readonly<Record<string, string>>;
  /** The SQLite file: pass the same one to a restart. */
  readonly dbPath?: string;
  /** Or a database URL (PostgreSQL, shared by several processes). */
  readonly databaseUrl?: string;
  /** The entry point, from the repository's root: the sources by default, or a bundle. */
  readonly entry?: string;
  /** Longest wait for the listener. Default 15 s: start-up is about 1 s, more on a busy CI machine. */
  readonly startTimeoutMs?: number;
}

/** One JSON log line of the service (pino), as parsed from its stdout. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly level?: number };

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

export interface ServiceProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** Every log line so far, oldest first. */
  readonly logs: readonly LogLine[];
  /** Resolves when the process has ended, however. */
  readonly exited: Promise<Exit>;
  /** POSTs one Update as the gateway does. */
  post(update: Update, slug?: string): Promise<PostResult>;
  /** Sends `signal` and waits for the process to end (at once if it already has). */
  kill(signal: NodeJS.Signals): Promise<Exit>;
  /** Graceful stop: SIGTERM, then waits for the exit. */
  stop(): Promise<Exit>;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = join('src', 'server.ts');
const DEFAULT_SLUG = 'etm-terrain';
const LISTENING = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/u;

/** Starts the service and resolves once it listens; rejects with its output if it exits first. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const service = new RunningService(spawnService(options));
  try {
    const listening = await service.waitForLog(isListening, options.startTimeoutMs ?? 15_000);
    service.url = LISTENING.exec(listening.msg!)![1]!;
  } catch (error) {
    await service.kill('SIGKILL');
    throw new Error(`the service did not start:\n${service.output()}`, { cause: error });
  }
  return service;
}

/** How a service that was expected to stop before listening ended, and everything it wrote. */
export interface StoppedService extends Exit {
  readonly logs: readonly LogLine[];
  /** Its stderr, line by line (where a configuration error goes). */
  readonly stderr: readonly string[];
}

/**
 * Starts the service on settings it must refuse, and resolves once it has ended and its output is
 * read to the end; rejects, killing it, if it listens instead.
 */
export async function startServiceProcessToExit(options: ServiceProcessOptions): Promise<StoppedService> {
  const child = spawnService(options);
  const service = new RunningService(child);
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  // `close` comes once stdout and stderr are read to their end, unlike `exit`.
  const closed = once(child, 'close').then(async () => service.exited);
  const listened = service.waitForLog(isListening, timeoutMs).then(
    () => 'listening' as const,
    // It ended first (or stayed silent, which the wait below bounds).
    async () => closed,
  );
  let outcome: Exit | 'listening';
  try {
    outcome = await within(Promise.race([closed, listened]), timeoutMs, 'end of the service');
  } catch (error) {
    await service.kill('SIGKILL');
    throw new Error(`the service neither listened nor stopped:\n${service.output()}`, { cause: error });
  }
  if (outcome === 'listening') {
    await service.kill('SIGKILL');
    throw new Error(`the service listened instead of stopping:\n${service.output()}`);
  }
  return { ...outcome, logs: service.logs, stderr: service.stderrLines };
}

function spawnService(options: ServiceProcessOptions): ChildProcess {
  return spawn(process.execPath, [options.entry ?? SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: serviceEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const isListening = (line: LogLine) => LISTENING.test(line.msg ?? '');

/**
 * Only what the test says, nothing inherited: a developer's shell (LOG_LEVEL, BOTS…) or a `.env`
 * in the checkout must not change what the test runs.
 */
function serviceEnv(options: ServiceProcessOptions): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: options.databaseUrl ?? `sqlite:${options.dbPath ?? ':memory:'}`,
    // An empty settings file, so that a `.env` in the checkout is not read (a missing one stops the service).
    ENV_FILE: '/dev/null',
    ...options.env,
  };
}

class RunningService implements ServiceProcess {
  url = '';
  readonly pid: number;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<Exit>;

  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private readonly agent = new Agent({ connections: 4 });
  private readonly logWaiters = new Set<(line: LogLine) => void>();
  private hasExited = false;

  constructor(child: ChildProcess) {
    if (child.pid === undefined) throw new Error('the service process could not be spawned');
    this.child = child;
    this.pid = child.pid;
    // If the test runner dies first, the service must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = once(child, 'exit').then(([code, signal]) => {
      this.hasExited = true;
      process.off('exit', killOnExit);
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      this.receive(text);
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
  }

  async post(update: Update, slug = DEFAULT_SLUG): Promise<PostResult> {
    const response = await request(`${this.url}/telegram/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bot-slug': slug },
      body: JSON.stringify(update),
      dispatcher: this.agent,
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  async kill(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.hasExited) this.child.kill(signal);
    const exit = await this.exited;
    // Sockets to a dead process are dead too.
    await this.agent.destroy();
    return exit;
  }

  async stop(): Promise<Exit> {
    return this.kill('SIGTERM');
  }

  async waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const past = this.logs.find(matches);
    if (past) return past;
    let listener: ((line: LogLine) => void) | undefined;
    const found = new Promise<LogLine>((resolve) => {
      listener = (line) => {
        if (matches(line)) resolve(line);
      };
      this.logWaiters.add(listener);
    });
    const ended = this.exited.then((exit) => {
      throw new Error(`the service exited (${exit.signal ?? String(exit.code)}) before the log line`);
    });
    try {
      return await within(Promise.race([found, ended]), timeoutMs, 'a log line of the service');
    } finally {
      this.logWaiters.delete(listener!);
    }
  }

  get stderrLines(): readonly string[] {
    return this.stderr;
  }

  /** Everything the process wrote, for failure messages (the service never logs its tokens). */
  output(): string {
    const stdout = this.logs.map((line) => JSON.stringify(line));
    return [...stdout, ...this.stderr].slice(-40).join('\n');
  }

  private receive(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text, raw: true };
    }
    this.logs.push(line);
    for (const waiter of this.logWaiters) waiter(line);
  }
}

/**
 * Waits for `promise`, failing after `ms` with a message naming `what`. The timer only bounds a
 * wait on an event; it never decides the outcome of a test.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
