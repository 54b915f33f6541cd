import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster from Debian's `postgresql` package: `initdb` into a temporary
 * folder, `pg_ctl start` on a free loopback port, stopped and removed afterwards. No Docker, no
 * system service. PostgreSQL refuses to run as root, so as root the cluster belongs to the
 * `postgres` user the package creates.
 */

const BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** Superuser URL of the `postgres` database; trust authentication, loopback only. */
  readonly url: string;
  stop(): void;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  for (const tool of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(BIN, tool))) {
      throw new Error(
        `${join(BIN, tool)} is missing: the PostgreSQL tests need Debian's postgresql package ` +
          '(tools/install-debian-packages.sh installs it), or POSTGRES_BIN pointing at its bin folder',
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'etm-postgres-'));
  const data = join(dir, 'data');
  const asOwner = ownerOf(dir);
  const port = await freePort();
  run(asOwner, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // Durability is pointless for a cluster deleted after the run: fsync off makes it fast.
  const settings = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dir}'`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=400',
  ].join(' ');
  run(asOwner, 'pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      spawnSync(...command(asOwner, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Owner = string | undefined;

/** As root: the `postgres` user owns the folder and runs the tools. Otherwise ourselves. */
function ownerOf(dir: string): Owner {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
  return 'postgres';
}

function command(owner: Owner, tool: string, args: string[]): [string, string[]] {
  const path = join(BIN, tool);
  return owner === undefined ? [path, args] : ['runuser', ['-u', owner, '--', path, ...args]];
}

function run(owner: Owner, tool: string, args: string[]): void {
  const result = spawnSync(...command(owner, tool, args), { encoding: 'utf8', cwd: tmpdir() });
  if (result.status !== 0) {
    throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}
