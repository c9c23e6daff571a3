import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createClient, { type Client } from 'openapi-fetch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { loadConfig } from '../../app/config.js';
import { buildOpenApiDocument } from '../../app/openapi.js';
import type { paths } from '../../app/openapi-types.js';
import { resourceTemplate, routes } from '../../app/routes.js';
import { startServer } from '../../app/server.js';
import { OPENAPI_INFO } from '../../handlers/openapi.js';
import {
  errorBodySchema,
  healthSchema,
  jobSchema,
  leadSchema,
  openApiDocumentSchema,
  simulationResultSchema,
} from '../../handlers/response-schemas.js';
import { startLambdaRuntimeOverHttp } from '../helpers/lambda-over-http.js';

/**
 * Every route, called on both runtimes through the client generated from the OpenAPI document
 * (openapi-typescript types + openapi-fetch): each answer's status must be one the document lists
 * for that operation, and its body must match the schema the document was generated from.
 */

type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
const document = buildOpenApiDocument(routes, OPENAPI_INFO) as unknown as Document;

interface Seen {
  readonly operation: string;
  readonly status: number;
}

function assertBody(schema: ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success, JSON.stringify(parsed.error?.issues ?? [])).toBe(true);
}

describe.each(['ecs', 'lambda'] as const)('typed client against %s', (runtime) => {
  let dataDir: string;
  let baseUrl: string;
  let close: () => Promise<void>;
  let client: Client<paths>;
  const seen: Seen[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'typed-client-'));
    const config = loadConfig({
      APP_ENV: 'local',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      JOBS_DATA_DIR: dataDir,
    });
    const logger = pino({ level: 'silent' });
    if (runtime === 'lambda') {
      const bridge = await startLambdaRuntimeOverHttp(config, logger);
      baseUrl = bridge.url;
      close = () => bridge.close();
    } else {
      const server = await startServer(config, logger);
      baseUrl = `http://127.0.0.1:${server.port}`;
      close = async () => void (await server.shutdown({ drainMs: 0 }));
    }
    client = createClient<paths>({ baseUrl });
    client.use({
      onResponse({ request, response, schemaPath }) {
        seen.push({ operation: `${request.method} ${schemaPath}`, status: response.status });
      },
    });
  });

  afterAll(async () => {
    await close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the document and the health check', async () => {
    const doc = await client.GET('/openapi.json');
    const health = await client.GET('/healthz');
    expect(doc.response.status).toBe(200);
    assertBody(openApiDocumentSchema, doc.data);
    expect(health.response.status).toBe(200);
    assertBody(healthSchema, health.data);
  });

  it('creates and reads a lead; an unknown one is a documented 404 with the error body', async () => {
    const created = await client.POST('/leads/{leadId}', {
      params: { path: { leadId: 'typed-1' } },
      body: { name: 'Grace Hopper', email: 'grace@example.com' },
    });
    const read = await client.GET('/leads/{leadId}', { params: { path: { leadId: 'typed-1' } } });
    const missing = await client.GET('/leads/{leadId}', { params: { path: { leadId: 'nobody' } } });

    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('location')).toBe('/leads/typed-1');
    assertBody(leadSchema, created.data);
    expect(read.data?.email).toBe('grace@example.com');
    assertBody(leadSchema, read.data);
    expect(missing.response.status).toBe(404);
    assertBody(errorBodySchema, missing.error);
  });

  it('submits a simulation, waits for it, reads its result, and cancels another', async () => {
    // Act
    const created = await client.POST('/simulations', {
      params: { header: { 'Idempotency-Key': `typed-${runtime}`, Prefer: 'wait=15' } },
      body: {
        model: 'projectile-drag',
        massKg: 0.145,
        areaM2: 0.0042,
        dragCoefficient: 0.3,
        speedMS: 30,
        angleDeg: 40,
      },
    });
    const id = created.data?.id ?? '';
    // Long-poll as a frontend would, however slow the machine is today.
    const poll = () =>
      client.GET('/simulations/{id}', { params: { path: { id }, header: { Prefer: 'wait=15' } } });
    let read = await poll();
    while (read.data && !['succeeded', 'failed', 'cancelled'].includes(read.data.status)) read = await poll();
    const result = await client.GET('/simulations/{id}/result', { params: { path: { id } } });
    const finishedCancel = await client.DELETE('/simulations/{id}', { params: { path: { id } } });
    const other = await client.POST('/simulations', {
      body: {
        model: 'projectile-drag',
        massKg: 1,
        areaM2: 0.01,
        dragCoefficient: 0.5,
        speedMS: 10,
        angleDeg: 10,
      },
    });
    const cancelled = await client.DELETE('/simulations/{id}', {
      params: { path: { id: other.data?.id ?? '' } },
    });
    // Assess
    // 201 when it ended within the wait, 202 when the machine was slower than that.
    expect(created.response.status).toBe(created.data?.status === 'succeeded' ? 201 : 202);
    expect(created.response.headers.get('preference-applied')).toBe('wait=15');
    expect(read.response.headers.get('preference-applied')).toBe('wait=15');
    assertBody(jobSchema, created.data);
    expect(read.data?.status).toBe('succeeded');
    assertBody(jobSchema, read.data);
    expect(result.response.status).toBe(200);
    assertBody(simulationResultSchema, result.data);
    expect(result.data?.jobId).toBe(id);
    expect(finishedCancel.response.status).toBe(409);
    assertBody(errorBodySchema, finishedCancel.error);
    expect(other.response.status).toBe(202);
    expect(cancelled.response.status).toBe(200);
    assertBody(jobSchema, cancelled.data);
  }, 120_000);

  it('called every route, and every status it got is one the document lists for that operation', () => {
    const called = new Set(seen.map((s) => s.operation));
    for (const route of routes)
      expect(called, `${route.method} ${route.path}`).toContain(
        `${route.method} ${resourceTemplate(route.path)}`,
      );
    for (const { operation, status } of seen) {
      const [method = '', path = ''] = operation.split(' ');
      const responses = document.paths[path]?.[method.toLowerCase()]?.responses ?? {};
      expect(Object.keys(responses), `${operation} answered ${status}`).toContain(String(status));
    }
  });
});
