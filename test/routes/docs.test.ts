import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => t.close());

const get = (url: string) => t.app.inject({ url });

describe('GET /docs', () => {
  it('serves Swagger UI with its own assets, nothing from a CDN', async () => {
    const page = await get('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
    const initializer = await get('/docs/static/swagger-initializer.js');
    expect(initializer.statusCode).toBe(200);
    const bundle = await get('/docs/static/swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('shows openapi.yaml as written', async () => {
    const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
    const served = await get('/docs/json');
    expect(served.statusCode).toBe(200);
    expect(served.json()).toEqual(spec);
  });

  it("lets Try it out call the page's own origin, whatever the port", async () => {
    const served = (await get('/docs/json')).json<{ servers: { url: string }[] }>();
    expect(served.servers.map((server) => server.url)).toEqual(['/']);
  });

  it.each(['/docs/package.json', '/docs/.env', '/docs/openapi.yaml', '/docs/static/../../package.json'])(
    'serves no file of the service: %s',
    async (url) => {
      const response = await get(url);
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('"dependencies"');
    },
  );
});
