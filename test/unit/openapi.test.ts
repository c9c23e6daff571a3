import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { loadConfig } from '../../app/config.js';
import { createApp } from '../../app/create-app.js';
import { resourceTemplate, routes } from '../../app/routes.js';
import { createRuntimeDeps, type RuntimeDeps } from '../../app/runtime-deps.js';
import { REQUEST_SCHEMAS } from '../../handlers/request-schemas.js';

describe('GET /openapi.json', () => {
  let deps: RuntimeDeps;
  let app: ReturnType<typeof createApp>;
  let document: {
    openapi: string;
    paths: Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { example?: unknown }> } }>
    >;
  };

  beforeAll(async () => {
    // The embedded defaults of `npm start`: memory stores, in-process jobs.
    deps = createRuntimeDeps(loadConfig({ APP_ENV: 'test' }), pino({ level: 'silent' }));
    app = createApp(deps, {
      maxBodyBytes: 256 * 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'test',
        functionName: 'api-test',
        trustForwardedFor: true,
      }),
    });
    const response = await request(app).get('/openapi.json').expect(200);
    document = response.body;
  });

  afterAll(async () => {
    await deps.close();
  });

  it('is OpenAPI 3.1 and lists every route of the table', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes) {
      expect(
        document.paths[resourceTemplate(route.path)]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    // Besides the routes: one `options` operation per path (CORS preflights), and path parameters.
    const operations = Object.values(document.paths).flatMap((ops) =>
      Object.keys(ops).filter((key) => key !== 'options' && key !== 'parameters'),
    );
    expect(operations).toHaveLength(routes.length);
    for (const ops of Object.values(document.paths)) expect(ops.options).toBeDefined();
  });

  it('has an example for every request body, valid against its schema', () => {
    for (const route of routes.filter((r) => r.requestSchema)) {
      const example =
        document.paths[resourceTemplate(route.path)]?.[route.method.toLowerCase()]?.requestBody?.content[
          'application/json'
        ]?.example;
      expect(example, `${route.method} ${route.path}`).toBeDefined();
      const schema = route.requestSchema && REQUEST_SCHEMAS[route.requestSchema];
      expect(schema?.safeParse(example).success, `${route.method} ${route.path}`).toBe(true);
    }
  });

  it('every example, submitted as is, succeeds', async () => {
    for (const route of routes.filter((r) => r.requestExample !== undefined)) {
      const path = route.path.replace(/:([A-Za-z_]+)/g, 'example-$1');
      const response = await request(app)
        [route.method.toLowerCase() as 'post'](path)
        .set('content-type', 'application/json')
        .send(JSON.stringify(route.requestExample));
      expect(
        response.status,
        `${route.method} ${path}: ${JSON.stringify(response.body)}`,
      ).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
    }
  });
});
