import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { formatAlbumLatency, measureAlbumLatency } from './album-latency.ts';
import { type ChildServer, type ChildServerOptions, startChildServer } from './child-server.ts';
import { freePort } from '../stand-ins/loopback.ts';
import { combineRuns, type LoadOptions, type LoadResult, measureOnce, warmUp } from './load.ts';
import {
  COLD_STARTS,
  type ServerResult,
  failures,
  formatFloor,
  formatReport,
  formatRoundRatios,
  formatStartAndText,
  ratios,
} from './report.ts';
import { timeTextFunctions } from './adversarial-texts.ts';
import { measureColdStart } from './cold-start.ts';
import { imageNodeArgs } from './service-command.ts';
import { createUpdateIds, startUpdateBody } from './update-body.ts';

/**
 * `make bench`: the real service, a bare Fastify server and, on SQLite, the floor of the
 * service's durable writes (bench/floor-server.ts), each in its own process, driven in turn by
 * autocannon on loopback with the same Update bodies. Exits 1 when a server does not start
 * or when any answer was not 2xx (the numbers would then measure errors).
 */

const HOST = '127.0.0.1';
const SLUG = 'bench';
const MAX_WARM_UP_SECONDS = 2;
/** The measured time is cut in rounds, the two servers taking turns (see below). */
const ROUNDS = 5;
const LOG_SETTLE_MS = 300;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const serviceEntry = join(repoRoot, 'dist', 'server.js');
const serviceArgs = imageNodeArgs(repoRoot);

interface Settings {
  /** A PostgreSQL database to measure the service on; unset: a fresh SQLite file. */
  readonly databaseUrl: string | undefined;
  readonly durationSeconds: number;
  readonly connections: number;
}

function settings(env: NodeJS.ProcessEnv): Settings {
  return {
    databaseUrl: env.BENCH_DATABASE_URL || undefined,
    durationSeconds: positiveNumber(env.BENCH_DURATION, 10, 'BENCH_DURATION'),
    connections: Math.trunc(positiveNumber(env.BENCH_CONNECTIONS, 50, 'BENCH_CONNECTIONS')),
  };
}

function positiveNumber(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1)
    throw new Error(`${name} must be a number ≥ 1, got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const { databaseUrl, durationSeconds, connections } = settings(process.env);
  if (!existsSync(serviceEntry)) throw new Error(`${serviceEntry} is missing: run \`make build\` first`);

  const workDir = await mkdtemp(join(tmpdir(), 'etm-terrain-bench-'));
  const servers: ChildServer[] = [];
  const cleanUp = once(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(workDir, { recursive: true, force: true });
  });
  // Ctrl-C mid-run must not leave servers listening or a database in /tmp.
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));

  try {
    const bareOptions = async (): Promise<ChildServerOptions> => ({
      name: 'bare fastify',
      args: [join(repoRoot, 'bench', 'bare-server.ts')],
      env: {},
      host: HOST,
      port: await freePort(HOST),
      readyPath: '/healthz',
    });
    const databaseUrlIn = (dir: string) => databaseUrl ?? `sqlite:${join(dir, 'bench.db')}`;
    const coldStartMs = {
      bare: await measureColdStart(await bareOptions(), COLD_STARTS),
      service: await measureColdStart(
        serviceOptions(await freePort(HOST), databaseUrlIn(workDir)),
        COLD_STARTS,
      ),
    };
    const bare = await startChildServer(await bareOptions()).then(keep(servers));
    const service = await startChildServer(serviceOptions(await freePort(HOST), databaseUrlIn(workDir))).then(
      keep(servers),
    );
    // The floor is the service's SQLite writes alone: no use beside a service on PostgreSQL.
    const floor =
      databaseUrl === undefined
        ? await startChildServer({
            name: 'sqlite floor',
            args: [join(repoRoot, 'bench', 'floor-server.ts')],
            env: { FLOOR_DATABASE: join(workDir, 'floor.db') },
            host: HOST,
            port: await freePort(HOST),
            readyPath: '/healthz',
          }).then(keep(servers))
        : undefined;
    console.log(`etm-terrain on ${databaseUrl === undefined ? 'SQLite' : 'PostgreSQL'}`);

    // Ids no earlier run used: a PostgreSQL database outlives the run, and a seen id is a shortcut.
    const nextUpdateId = createUpdateIds(Date.now());
    const load = (server: ChildServer): LoadOptions => ({
      url: server.url,
      durationSeconds,
      connections,
      headers: { 'content-type': 'application/json', 'x-bot-slug': SLUG },
      body: () => startUpdateBody(nextUpdateId()),
    });

    const roundSeconds = durationSeconds / ROUNDS;
    console.log(
      `node ${process.version}, ${durationSeconds} s × ${connections} connections per server, in ${ROUNDS} rounds taken in turn`,
    );
    const measured = floor ? [bare, service, floor] : [bare, service];
    const warm: LoadResult[] = [];
    for (const server of measured) {
      console.log(`${server.name}: one update answers ${await sampleAnswer(server, load(server))}`);
      warm.push(await warmUp(load(server), Math.min(MAX_WARM_UP_SECONDS, durationSeconds)));
    }
    // Taken in turn, so that what else the machine does weighs on every server alike.
    const rounds: LoadResult[][] = measured.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, server] of measured.entries())
        rounds[index]!.push(await measureOnce({ ...load(server), durationSeconds: roundSeconds }));
    }
    const results = measured.map((server, index): ServerResult => ({
      name: server.name,
      ...combineRuns(warm[index]!, rounds[index]!, roundSeconds),
      peakRssKiB: server.peakRssKiB(),
    }));
    const [bareResult, serviceResult, floorResult] = results as [ServerResult, ServerResult, ServerResult?];
    console.log('');
    console.log(formatReport(results, ratios(serviceResult, bareResult)));
    console.log(formatRoundRatios(rounds[1]!, rounds[0]!));
    if (floorResult) console.log(formatFloor(floorResult, serviceResult, bareResult));
    console.log(formatStartAndText(coldStartMs, timeTextFunctions()[0]!));

    console.log('');
    console.log(formatAlbumLatency(await measureAlbumLatency(serviceArgs, workDir, HOST, databaseUrl)));

    const problems = failures(results);
    for (const problem of problems) console.error(`FAILED ${problem}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

function serviceOptions(port: number, databaseUrl: string): ChildServerOptions {
  return {
    name: 'etm-terrain',
    args: serviceArgs,
    env: {
      BOTS: SLUG,
      BOT_BENCH_TOKEN: '123456:TEST-fake-bench-token',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      WORKER_ENABLED: 'false',
      // A developer's .env must not change what is measured: an empty file is read instead.
      ENV_FILE: '/dev/null',
    },
    host: HOST,
    port,
    readyPath: '/healthz',
  };
}

/** One request before the load, so the report shows which path was measured. */
async function sampleAnswer(server: ChildServer, load: LoadOptions): Promise<string> {
  const response = await fetch(`${load.url}/telegram/update`, {
    method: 'POST',
    headers: load.headers,
    body: load.body(),
  });
  const text = await response.text();
  if (!response.ok) {
    // The server's own log says why; its line may reach our pipe just after the answer.
    await delay(LOG_SETTLE_MS);
    throw new Error(
      `${server.name} answered the sample update ${response.status}: ${text}\n${server.output()}`,
    );
  }
  return `${response.status} ${text}`;
}

const keep =
  (servers: ChildServer[]) =>
  (server: ChildServer): ChildServer => {
    servers.push(server);
    return server;
  };

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
