import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaticDocumentSpec } from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';

/**
 * The contract, at the root of the package: the first folder up from this code that holds a
 * package.json, whether this code is src/routes/docs.ts or a chunk of the bundle in dist/.
 */
export const OPENAPI_PATH = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'openapi.yaml');

function packageRoot(folder: string): string {
  if (existsSync(join(folder, 'package.json'))) return folder;
  const parent = dirname(folder);
  if (parent === folder) throw new Error('docs: no package.json above the code, so no openapi.yaml');
  return packageRoot(parent);
}

/**
 * The document as @fastify/swagger parsed it the first time: parsing the YAML costs more than
 * building the rest of an app, and tests build hundreds of apps in one process.
 */
let parsedDocument: StaticDocumentSpec['document'] | undefined;

// Hop-by-hop or recomputed by our own reply: never copied from the docs app's answer.
const NOT_FORWARDED = new Set(['connection', 'transfer-encoding', 'keep-alive', 'date', 'content-length']);

/**
 * Swagger UI at `/docs`, showing openapi.yaml as written (static mode): the file is the contract
 * and a test keeps it true, so nothing is generated from the routes. The UI's assets are served
 * from the package, never from a CDN, and no other file of the service is served.
 *
 * Built on the first request, not at start-up: loading @fastify/swagger, Swagger UI and the YAML
 * parser and parsing the document took a fifth of the start-up, for a page only a developer opens.
 * Its own small Fastify instance answers, through `inject` (no socket).
 */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  let docsApp: Promise<FastifyInstance> | undefined;
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    docsApp ??= buildDocsApp().catch((error: unknown) => {
      docsApp = undefined; // the next request tries again
      throw error;
    });
    const answer = await (
      await docsApp
    ).inject({
      method: request.method as 'GET' | 'HEAD',
      url: request.url,
      headers: request.headers,
    });
    if (answer.statusCode === 404) {
      throw new HttpError(404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
    }
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name.toLowerCase())) reply.header(name, value);
    }
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  app.get('/docs', forward);
  app.get('/docs/*', forward);
  app.addHook('onClose', async () => {
    const built = await docsApp?.catch(() => undefined);
    await built?.close();
  });
};

async function buildDocsApp(): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  const docs = Fastify();
  const specification = parsedDocument
    ? { document: parsedDocument }
    : { path: OPENAPI_PATH, baseDir: dirname(OPENAPI_PATH) };
  await docs.register(swagger, { mode: 'static', specification });
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, docExpansion: 'list' },
  });
  await docs.ready();
  parsedDocument ??= docs.swagger() as StaticDocumentSpec['document'];
  return docs;
}
