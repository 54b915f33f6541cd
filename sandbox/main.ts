import { relative } from 'node:path';
import { ConfigError } from '../src/config.ts';
import { SANDBOX_GROUPS, SANDBOX_SLUG } from './sandbox-env.ts';
import { type Sandbox, startSandbox } from './start-sandbox.ts';

/**
 * `node sandbox/main.ts` (what `make run` does when no bot is configured): the whole product
 * locally, zero credentials. Tunables come from the environment (PORT, LOG_LEVEL,
 * ALBUM_QUIET_MS, …); SANDBOX_DATA_DIR moves the data folder (default data/sandbox);
 * SANDBOX_OLLAMA=stopped runs it with Ollama down.
 */
async function main(): Promise<void> {
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      env: process.env,
      ...(process.env.SANDBOX_DATA_DIR ? { dataDir: process.env.SANDBOX_DATA_DIR } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`Port ${process.env.PORT ?? '8080'} is taken: try PORT=8081 make run\n`);
      process.exit(1);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}${cause}\n`);
    process.exit(1);
  }
  process.stdout.write(banner(sandbox));
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping the sandbox…\n`);
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`the sandbox did not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
}

function banner(sandbox: Sandbox): string {
  const url = sandbox.url.replace('127.0.0.1', 'localhost');
  const folder = shortPath(sandbox.nextcloudFolder);
  const port = sandbox.config.port === 8080 ? '' : ` PORT=${sandbox.config.port}`;
  const admin = sandbox.config.adminToken
    ? `on: Authorization: Bearer <ADMIN_TOKEN>   (${url}/admin/jobs)`
    : 'off: ADMIN_TOKEN=<16+ characters> make run turns it on';
  return `
  etm-terrain sandbox — the real service, every remote stood in locally, no credentials

  Web chat           ${url}/sandbox
  Service            ${url}  (POST /telegram/update, X-Bot-Slug: ${SANDBOX_SLUG})
  Nextcloud files    ${folder}/
  Database           ${shortPath(sandbox.config.databaseUrl.slice('sqlite:'.length))}
  Telegram Bot API   ${sandbox.telegram.apiUrl}  (stand-in, fake token)
  Nextcloud WebDAV   ${sandbox.webdav.url}  (sabre/dav, user etm-sandbox)
  Deck               ${sandbox.deck.apiUrl}  (stand-in)
  Groups             ${SANDBOX_GROUPS.chantier.title} ${SANDBOX_GROUPS.chantier.id} · ${SANDBOX_GROUPS.sav.title} ${SANDBOX_GROUPS.sav.id} · ${SANDBOX_GROUPS.magasin.title} ${SANDBOX_GROUPS.magasin.id}
  Ollama             ${sandbox.ollama.url}  (${process.env.SANDBOX_OLLAMA === 'stopped' ? 'stopped: SANDBOX_OLLAMA=stopped' : 'stand-in, canned SAV leads'})
  Admin API          ${admin}
  API docs           ${url}/docs

  A fresh world at each start: the database, the Nextcloud files, the chats and the Deck board
  start empty together (what it kept in ${shortPath(sandbox.dataDir)}/ is deleted: copy it first to keep a run).
  To reset, stop and run make run again.

  From another terminal:  make send SAMPLE=start${port}   (samples in samples/updates/)
  Ctrl-C stops everything.
`;
}

/** Relative to the current folder when inside it, absolute otherwise. */
function shortPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' || inside.startsWith('..') ? path : inside;
}

await main();
