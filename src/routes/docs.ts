import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';

/** The contract, next to the sources (`src/routes` and `dist/routes` alike are two levels down). */
export const OPENAPI_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

/**
 * The document as @fastify/swagger parsed it the first time: parsing the YAML costs more than
 * building the rest of an app, and tests build hundreds of apps in one process.
 */
let parsedDocument: StaticDocumentSpec['document'] | undefined;

/**
 * Swagger UI at `/docs`, showing openapi.yaml as written (static mode): the file is the contract
 * and a test keeps it true, so nothing is generated from the routes. The UI's assets are served
 * from the package, never from a CDN, and no other file of the service is served.
 */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  const specification = parsedDocument
    ? { document: parsedDocument }
    : { path: OPENAPI_PATH, baseDir: dirname(OPENAPI_PATH) };
  await app.register(swagger, { mode: 'static', specification });
  parsedDocument ??= app.swagger() as StaticDocumentSpec['document'];
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, docExpansion: 'list' },
  });
};
