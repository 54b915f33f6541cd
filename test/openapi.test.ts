import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import Value from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import Type, { type TSchema } from 'typebox';
import { DATE_BOUND_PATTERN } from '../src/admin/date-range.ts';
import { JobSchema, JobStateSchema } from '../src/admin/job-view.ts';
import { StatsSchema } from '../src/admin/report-stats.ts';
import {
  ReportDetailSchema,
  ReportSchema,
  ReportStatusSchema,
  ReportTypeSchema,
} from '../src/admin/report-view.ts';
import { BODY_LIMIT_BYTES } from '../src/app.ts';
import { JobIdParamsSchema, JobListQuerySchema, JobListSchema } from '../src/routes/admin-jobs.ts';
import {
  ReportCsvQuerySchema,
  ReportKeyParamsSchema,
  ReportListQuerySchema,
  ReportListSchema,
} from '../src/routes/admin-reports.ts';
import { StatsQuerySchema } from '../src/routes/admin-stats.ts';
import { EmptySchema, ErrorSchema, ReplySchema } from '../src/routes/telegram-update.ts';
import { UpdateSchema } from '../src/telegram/update-schema.ts';
import { createTestApp, postUpdate, type TestApp } from './support/test-app.ts';
import { testDialect } from './support/test-database.ts';

/**
 * openapi.yaml is the contract the gateway's owners read: it must list exactly the routes the
 * app serves, describe the bodies the route validates, and show only examples that are true.
 */

interface Example {
  readonly summary?: string;
  readonly value: unknown;
}
interface MediaType {
  readonly schema: Record<string, unknown>;
  readonly examples?: Record<string, Example>;
}
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema: unknown;
}
interface Operation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content: Record<string, MediaType> };
  readonly responses: Record<string, { readonly content?: Record<string, MediaType> }>;
}
interface Spec {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, Record<string, unknown>> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SLUG = 'etm-terrain';

const spec = resolveRefs(parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'))) as Spec;
const updateOperation = spec.paths['/telegram/update']?.post;

const sampleText = (name: string) =>
  readFileSync(new URL(`../samples/updates/${name}.json`, import.meta.url), 'utf8');

/** Inlines every local `$ref` (the spec has no cycles), so schemas can be checked on their own. */
function resolveRefs(node: unknown, root: unknown = node): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, root));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') return resolveRefs(pointer(root, ref), root);
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolveRefs(value, root)]));
}

function pointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $ref are supported: ${ref}`);
  let node = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
  return node;
}

/** What a schema accepts, without the words written for humans, in a stable order. */
function validationOnly(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(validationOnly);
  if (schema === null || typeof schema !== 'object') return schema;
  const kept = Object.entries(schema)
    .filter(([key]) => !['description', 'summary', 'title', 'example', 'examples'].includes(key))
    .map(([key, value]) => [
      key,
      key === 'required' ? [...(value as string[])].sort() : validationOnly(value),
    ]);
  return Object.fromEntries(kept);
}

interface DocumentedExample {
  readonly where: string;
  readonly status: string | undefined;
  readonly mediaType: string;
  readonly name: string;
  readonly schema: Record<string, unknown>;
  readonly value: unknown;
}

/** Every example of every request and response body in the spec. */
function allExamples(): DocumentedExample[] {
  const found: DocumentedExample[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const bodies: [string | undefined, Record<string, MediaType>][] = [
        [undefined, operation.requestBody?.content ?? {}],
        ...Object.entries(operation.responses).map(
          ([status, response]) => [status, response.content ?? {}] as [string, Record<string, MediaType>],
        ),
      ];
      for (const [status, content] of bodies) {
        for (const [mediaType, { schema, examples = {} }] of Object.entries(content)) {
          for (const [name, example] of Object.entries(examples)) {
            const where = `${method.toUpperCase()} ${path} ${status ?? 'request'} ${mediaType} "${name}"`;
            found.push({ where, status, mediaType, name, schema, value: example.value });
          }
        }
      }
    }
  }
  return found;
}

const examplesOf = (status: string, mediaType = 'application/json') =>
  Object.values(updateOperation?.responses[status]?.content?.[mediaType]?.examples ?? {}).map(
    (example) => example.value,
  );

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => t.close());

const post = (payload: string, headers: Record<string, string> = {}) =>
  postUpdate(t.app, payload, { slug: SLUG, headers });

/**
 * How to make the route answer each error it can answer. The list is the route's real error
 * surface: a code documented without a way to provoke it, or one provoked but not documented,
 * fails the tests below.
 */
const provokeError: Record<string, () => Promise<LightMyRequestResponse>> = {
  '400 invalid_json': () => post('{"update_id": '),
  '400 invalid_update': () => post('{"message":{}}'),
  '404 unknown_slug': () => post(sampleText('start'), { 'x-bot-slug': 'other-bot' }),
  '413 payload_too_large': () =>
    post(JSON.stringify({ update_id: 1, padding: 'x'.repeat(BODY_LIMIT_BYTES) })),
  '415 unsupported_media_type': () =>
    post('update_id=1', { 'content-type': 'application/x-www-form-urlencoded' }),
  '503 unavailable': async () => {
    await t.db.schema.dropTable('processed_updates').execute();
    return post(sampleText('start'));
  },
};

const documentedErrors = allExamples()
  .filter((example) => example.where.startsWith('POST /telegram/update') && Number(example.status) >= 400)
  .map((example) => ({ ...example, code: (example.value as { error?: unknown }).error }));

describe('openapi.yaml', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('documents exactly the routes the app serves', () => {
    const served = t.app.servedRoutes
      // Swagger UI's own pages (/docs, its assets, /docs/json) serve this document; they are not the API.
      .filter((route) => route.url !== '/docs' && !route.url.startsWith('/docs/'))
      // Fastify adds HEAD for every GET on its own; only a HEAD route of our own counts.
      .filter(
        (route) =>
          route.method !== 'HEAD' ||
          !t.app.servedRoutes.some((other) => other.method === 'GET' && other.url === route.url),
      )
      .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => HTTP_METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(served.sort());
  });

  it.each([
    ['Update', UpdateSchema],
    ['Reply', ReplySchema],
    ['Empty', EmptySchema],
    ['Error', ErrorSchema],
    ['Job', JobSchema],
    ['JobList', JobListSchema],
    ['JobState', JobStateSchema],
    ['Report', ReportSchema],
    ['ReportDetail', ReportDetailSchema],
    ['ReportList', ReportListSchema],
    ['ReportType', ReportTypeSchema],
    ['ReportStatus', ReportStatusSchema],
    ['DateBound', Type.String({ pattern: DATE_BOUND_PATTERN })],
    ['Stats', StatsSchema],
  ])('describes %s exactly as the route validates it', (name, routeSchema) => {
    const documented = spec.components.schemas[name];
    expect(validationOnly(documented)).toEqual(validationOnly(JSON.parse(JSON.stringify(routeSchema))));
  });

  it.each([
    ['GET /admin/jobs', 'query', JobListQuerySchema],
    ['POST /admin/jobs/{id}/retry', 'path', JobIdParamsSchema],
    ['GET /admin/reports', 'query', ReportListQuerySchema],
    ['GET /admin/reports.csv', 'query', ReportCsvQuerySchema],
    ['GET /admin/reports/{id}', 'path', ReportKeyParamsSchema],
    ['GET /admin/stats', 'query', StatsQuerySchema],
  ])('describes the %s parameters in the %s exactly as the route validates them', (route, place, schema) => {
    const [method, path] = route.split(' ') as [string, string];
    const parameters = (spec.paths[path]?.[method.toLowerCase()]?.parameters ?? []).filter(
      (parameter) => parameter.in === place,
    );
    const validated = JSON.parse(JSON.stringify(schema)) as {
      properties: Record<string, unknown>;
      required?: string[];
    };
    expect(
      Object.fromEntries(parameters.map((parameter) => [parameter.name, validationOnly(parameter.schema)])),
    ).toEqual(validationOnly(validated.properties));
    expect(parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name)).toEqual(
      validated.required ?? [],
    );
  });

  it('fits every example to the schema it is documented with', () => {
    const examples = allExamples();
    expect(examples.length).toBeGreaterThan(0);
    const misfits = examples.filter((example) => !Value.Check(example.schema, example.value));
    expect(misfits.map((example) => example.where)).toEqual([]);
  });

  it('shows only request bodies that are valid Updates and are the samples of samples/updates/', () => {
    const examples = updateOperation?.requestBody?.content['application/json']?.examples ?? {};
    expect(Object.keys(examples)).toContain('start');
    for (const [name, example] of Object.entries(examples)) {
      expect(Value.Check(UpdateSchema, example.value), name).toBe(true);
      expect(example.value, name).toEqual(JSON.parse(sampleText(name)));
    }
  });

  it("fits the route's response examples to the route's response schemas", () => {
    const schemaFor = (status: string, mediaType: string): TSchema | undefined => {
      if (status === '200') return { 'application/json': ReplySchema, 'text/plain': EmptySchema }[mediaType];
      return Number(status) >= 400 && mediaType === 'application/json' ? ErrorSchema : undefined;
    };
    const examples = allExamples().filter(
      (example) => example.where.startsWith('POST /telegram/update') && example.status !== undefined,
    );
    for (const example of examples) {
      const schema = schemaFor(example.status!, example.mediaType);
      expect(schema, `${example.where} has no route schema`).toBeDefined();
      expect(Value.Check(schema!, example.value), example.where).toBe(true);
    }
  });

  it('shows the 200 answers the route really gives, with their media types', async () => {
    const answered = await post(sampleText('voice'));
    expect(answered.headers['content-type']).toMatch(/^application\/json/);
    expect(examplesOf('200', 'application/json')).toEqual([answered.json()]);

    const nothing = await post(sampleText('unknown-kind'));
    expect(nothing.headers['content-type']).toMatch(/^text\/plain/);
    expect(examplesOf('200', 'text/plain')).toEqual([nothing.body]);
  });

  it('documents every error the route returns', () => {
    const documented = documentedErrors.map((example) => `${example.status} ${String(example.code)}`);
    expect([...new Set(documented)].sort()).toEqual(Object.keys(provokeError).sort());
  });

  it.each(documentedErrors)('shows an error the route really returns: $where', async (example) => {
    const key = `${example.status} ${String(example.code)}`;
    const provoke = provokeError[key];
    expect(provoke, `no request in this test provokes ${key}`).toBeDefined();
    const response = await provoke!();
    expect(response.statusCode).toBe(Number(example.status));
    expect(response.json()).toEqual({ error: example.code, message: expect.any(String) });
  });

  it("shows the admin API's refusals exactly as the app gives them", async () => {
    const components = (spec.components as unknown as { responses: Operation['responses'] }).responses;
    const example = (responses: Operation['responses'] | undefined, status: string, name: string) =>
      responses?.[status]?.content?.['application/json']?.examples?.[name]?.value;
    const adminToken = 'fake-admin-token-0123456789';
    const admin = await createTestApp({ ADMIN_TOKEN: adminToken });
    const auth = { authorization: `Bearer ${adminToken}` };
    try {
      const answers = {
        'missing-token': await admin.app.inject({ url: '/admin/reports' }),
        'other-scheme': await admin.app.inject({
          url: '/admin/reports',
          headers: { authorization: 'Basic YWRtaW46eA==' },
        }),
        'malformed-token': await admin.app.inject({
          url: '/admin/reports',
          headers: { authorization: 'Bearer correct horse battery staple' },
        }),
        'wrong-token': await admin.app.inject({
          url: '/admin/reports',
          headers: { authorization: 'Bearer x' },
        }),
        'invalid-date-range': await admin.app.inject({
          url: '/admin/reports?from=2026-02-30',
          headers: auth,
        }),
        'report-not-found': await admin.app.inject({ url: '/admin/reports/SAV-0999', headers: auth }),
        'job-not-found': await admin.app.inject({
          method: 'POST',
          url: '/admin/jobs/4242/retry',
          headers: auth,
        }),
        'admin-off': await t.app.inject({ url: '/admin/reports' }),
      };
      const documented = {
        'missing-token': example(components, 'Unauthorized', 'missing-token'),
        'other-scheme': example(components, 'Unauthorized', 'other-scheme'),
        'malformed-token': example(components, 'Unauthorized', 'malformed-token'),
        'wrong-token': example(components, 'Unauthorized', 'wrong-token'),
        'invalid-date-range': example(components, 'InvalidFilter', 'invalid-date-range'),
        'report-not-found': example(
          spec.paths['/admin/reports/{id}']?.get?.responses,
          '404',
          'report-not-found',
        ),
        'job-not-found': example(
          spec.paths['/admin/jobs/{id}/retry']?.post?.responses,
          '404',
          'job-not-found',
        ),
        'admin-off': example(components, 'AdminOff', 'admin-off'),
      };
      expect(
        Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.json()])),
      ).toEqual(documented);
    } finally {
      await admin.close();
    }
  });

  it('shows the health answers the app really gives, once its background work runs', async () => {
    const served = await createTestApp({}, { background: true });
    try {
      await expectDocumentedHealth(served);
    } finally {
      await served.close();
    }
  });
});

/** `/healthz` and `/readyz` answer the spec's first examples, ready and not ready. */
async function expectDocumentedHealth(t: TestApp): Promise<void> {
  const health = spec.paths['/healthz']?.get?.responses;
  const ready = spec.paths['/readyz']?.get?.responses;
  const example = (responses: Operation['responses'] | undefined, status: string) =>
    Object.values(responses?.[status]?.content?.['application/json']?.examples ?? {})[0]?.value;

  expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual(example(health, '200'));
  const readyNow = await t.app.inject({ method: 'GET', url: '/readyz' });
  expect(readyNow.statusCode).toBe(200);
  expect(readyNow.json()).toEqual(example(ready, '200'));

  await t.db.schema.dropTable('readiness_probe').execute();
  const notReady = await t.app.inject({ method: 'GET', url: '/readyz' });
  expect(notReady.statusCode).toBe(503);
  // The example quotes SQLite's message; PostgreSQL words the same failure its own way.
  const documented = example(ready, '503') as { checks: { database: string } };
  expect(notReady.json()).toEqual(
    testDialect === 'sqlite'
      ? documented
      : {
          ...documented,
          checks: {
            ...documented.checks,
            database: expect.stringMatching(/^database not writable: .*readiness_probe/),
          },
        },
  );
}
