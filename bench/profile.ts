import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './child-server.ts';
import { freePort } from '../stand-ins/loopback.ts';
import { measure } from './load.ts';
import { imageNodeArgs } from './service-command.ts';
import { createUpdateIds, startUpdateBody } from './update-body.ts';

/**
 * `node bench/profile.ts [dir]`: the service alone under make bench's load (same Updates, 50
 * connections, BENCH_DURATION seconds), started with `--cpu-prof`. Writes the V8 CPU profile into
 * `dir` (the current folder by default; open it in Chrome DevTools' Performance tab) and prints
 * the functions with the most self time, and the service's CPU time per update.
 */

const HOST = '127.0.0.1';
const SLUG = 'bench';
const SHOWN = 25;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

async function main(): Promise<void> {
  const profileDir = resolve(process.argv[2] ?? '.');
  const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
  const workDir = await mkdtemp(join(tmpdir(), 'etm-terrain-profile-'));
  const before = new Set(await readdir(profileDir));
  try {
    const service = await startChildServer({
      name: 'etm-terrain',
      args: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...imageNodeArgs(repoRoot)],
      env: {
        BOTS: SLUG,
        BOT_BENCH_TOKEN: '123456:TEST-fake-bench-token',
        DATABASE_URL: `sqlite:${join(workDir, 'bench.db')}`,
        LOG_LEVEL: 'warn',
        WORKER_ENABLED: 'false',
        ENV_FILE: '/dev/null',
      },
      host: HOST,
      port: await freePort(HOST),
      readyPath: '/healthz',
    });
    const nextUpdateId = createUpdateIds(Date.now());
    const cpuBefore = cpuMicroseconds(service.pid);
    const result = await measure(
      {
        url: service.url,
        durationSeconds,
        connections: 50,
        headers: { 'content-type': 'application/json', 'x-bot-slug': SLUG },
        body: () => startUpdateBody(nextUpdateId()),
      },
      1,
    );
    const cpuUsed = (await cpuMicroseconds(service.pid)) - (await cpuBefore);
    await service.stop();
    // Warm-up requests are not counted by `measure`: about one more second's worth.
    const updates = result.totalRequests * (1 + 1 / durationSeconds);
    console.log(
      `${result.requestsPerSecond.toFixed(0)} req/s, ${(cpuUsed / updates).toFixed(0)} µs of CPU per update`,
    );
    const written = (await readdir(profileDir)).filter(
      (name) => name.endsWith('.cpuprofile') && !before.has(name),
    );
    for (const name of written) {
      console.log(`\n${join(profileDir, name)}, self time:`);
      console.log(topSelfTime(JSON.parse(await readFile(join(profileDir, name), 'utf8')) as Profile));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** User plus system CPU time of a process so far (Linux /proc, in clock ticks of 10 ms). */
async function cpuMicroseconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function topSelfTime(profile: Profile): string {
  const nodeTime = new Map<number, number>();
  profile.samples.forEach((id, index) =>
    nodeTime.set(id, (nodeTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(repoRoot, '');
    const name = `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + (nodeTime.get(node.id) ?? 0));
  }
  const total = [...byFunction.values()].reduce((sum, time) => sum + time, 0);
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, SHOWN)
    .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
}

await main();
