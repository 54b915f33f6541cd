import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** A server under test, running in its own process so its memory and CPU are its own. */
export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Peak resident set size in KiB so far (Linux `VmHWM`), or undefined when unreadable. */
  peakRssKiB(): number | undefined;
  /** The last lines the process wrote, for the message when it fails. */
  output(): string;
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  readonly name: string;
  /** Arguments to `node`. */
  readonly args: readonly string[];
  /** The whole environment besides PATH, PORT and HOST: nothing else leaks in from the shell. */
  readonly env: Record<string, string>;
  /** Passed as HOST and PORT. */
  readonly host: string;
  readonly port: number;
  /** A GET path that answers 2xx once the server accepts requests. */
  readonly readyPath: string;
  /** How often the ready path is polled; 100 ms unless a start is being timed. */
  readonly readyIntervalMs?: number;
}

const READY_ATTEMPTS = 150;
const READY_INTERVAL_MS = 100;
const OUTPUT_LINES_KEPT = 40;
const STOP_GRACE_MS = 5_000;

/** Starts the server and resolves once it answers its ready path; rejects if it never does. */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, options.args, {
    env: { PATH: process.env.PATH ?? '', ...options.env, HOST: options.host, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = keepLastLines(child);
  const url = `http://${options.host}:${options.port}`;
  const server: ChildServer = {
    name: options.name,
    url,
    pid: child.pid ?? -1,
    peakRssKiB: () => peakRssKiB(child.pid),
    output,
    stop: () => stopChild(child),
  };
  try {
    await waitUntilReady(child, url + options.readyPath, options.readyIntervalMs ?? READY_INTERVAL_MS);
  } catch (error) {
    await server.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${options.name} did not start: ${reason}\n${output()}`, { cause: error });
  }
  return server;
}

/** Polls the ready path, bounded; gives up at once if the process exits. */
async function waitUntilReady(child: ChildProcess, readyUrl: string, intervalMs: number): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (error) => (exited = `could not be spawned: ${error.message}`));
  const attempts = (READY_ATTEMPTS * READY_INTERVAL_MS) / intervalMs;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (exited !== undefined) throw new Error(exited);
    if (await answers(readyUrl)) return;
    await delay(intervalMs);
  }
  throw new Error(`no answer from ${readyUrl} after ${(READY_ATTEMPTS * READY_INTERVAL_MS) / 1000} s`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function peakRssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM for a graceful close, SIGKILL if it is not gone after the grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(killer);
}

/** Drains both pipes (a full pipe would block the child) and keeps the tail. */
function keepLastLines(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}
