import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startServiceProcess } from './support/service-process.ts';
import { textUpdate } from './support/updates.ts';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The image runs the bundle (scripts/bundle.ts), not the sources the other tests run: built here
 * into a folder of dist/ and started as `node dist/server.js` is. A package inlined wrongly, or
 * one that reads its own files and was not left external, fails here and not in production.
 */
describe('the bundled service', () => {
  const outDir = join(REPO_ROOT, 'dist', `bundle-test-${process.pid}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'etm-bundle-'));
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    await run(process.execPath, ['scripts/bundle.ts', outDir], { cwd: REPO_ROOT });
    service = await startServiceProcess({
      entry: relative(REPO_ROOT, join(outDir, 'server.js')),
      env: { BOTS: '' },
      dbPath: join(dataDir, 'etm.db'),
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const running = (): ServiceProcess => {
    if (!service) throw new Error('the bundled service did not start');
    return service;
  };

  it('starts, records an Update and answers it', async () => {
    const service = running();
    expect((await request(`${service.url}/healthz`)).statusCode).toBe(200);
    const answer = await service.post(textUpdate('/start'), 'demo');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ text: expect.stringContaining('Que veux-tu signaler') });
    expect((await request(`${service.url}/readyz`)).statusCode).toBe(200);
  });

  it('serves the contract and Swagger UI, whose assets stay in their package', async () => {
    const service = running();
    const page = await request(`${service.url}/docs/`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain('swagger');
    const spec = await request(`${service.url}/docs/json`);
    expect(spec.statusCode).toBe(200);
    expect(((await spec.body.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('bundles the SQLite → PostgreSQL copy tool too', async () => {
    const copy = run(process.execPath, [join(outDir, 'sqlite-to-postgres.js')], { cwd: REPO_ROOT });
    await expect(copy).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
  });
});
