import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

/**
 * `npm run build` (`node scripts/bundle.ts [folder]`, dist/ by default): the service and its
 * command-line tool, each bundled with the packages they use (https://rolldown.rs/apis/bundler-api).
 * Loading some 1,000 module files one by one was most of the start-up and a sixth of the memory
 * at rest (bench/README.md); a few files load in a fraction of that. What is imported lazily
 * (`await import`) stays a chunk of its own, loaded when first used. Types are checked by `tsc`
 * (make typecheck), not here.
 *
 * Source maps are written beside the chunks but not loaded by the image's CMD: Node's
 * `--enable-source-maps` parses them all at start (200 ms and 25 MiB more here). The chunks are
 * not minified, so a stack trace still names our functions; for src/ lines, run with
 * NODE_OPTIONS=--enable-source-maps.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(process.argv[2] ?? join(root, 'dist'));

/**
 * Left in node_modules and loaded from there: a native addon (better-sqlite3); the PostgreSQL
 * driver, whose optional native binding is required only if present; Swagger UI, which serves
 * its assets from its own package folder (src/routes/docs.ts).
 */
const EXTERNAL = [/^better-sqlite3$/, /^pg($|-)/, /^@fastify\/swagger(-ui)?$/];

await rm(outDir, { recursive: true, force: true });
await build({
  cwd: root,
  input: { server: 'src/server.ts', 'sqlite-to-postgres': 'src/sqlite-to-postgres.ts' },
  platform: 'node',
  external: EXTERNAL,
  logLevel: 'warn',
  output: { dir: outDir, format: 'esm', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' },
});
