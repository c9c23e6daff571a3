import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { createApp } from '../../app/create-app.js';
import { expressServerClasses } from '../../app/express-server-classes.js';
import { HTTP_SERVER_OPTIONS } from '../../app/http-server-options.js';
import { createLambdaHandler, type LambdaHttpHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { routes } from '../../app/routes.js';
import type { HandlerDeps } from '../../handlers/types.js';
import { cases as baseCases, FIXED_NOW, LAMBDA_SOURCES, type LambdaSource } from './cases.js';
import { corsCases, PARITY_CORS, quotaGuard, quotaRoute } from './cors-cases.js';
import { toAlbEvent, toApiGatewayV1Event, toApiGatewayV2Event } from './event-builders.js';
import { hostileCases } from './hostile-cases.js';
import type { HttpCase, NormalizedResponse } from './http-case.js';
import { probeRoutes } from './probe-routes.js';
import { comparable, fakeLambdaContext, invokeLambda, sendToEcs } from './runtimes.js';

/**
 * One behaviour suite, every case on every runtime: ECS (real HTTP to the app on loopback) and
 * Lambda behind ALB (single- and multi-value headers), API Gateway REST (v1), HTTP API (v2) and a
 * Function URL. Status, headers and body bytes must match the ECS answer, except where an event
 * source forces a difference — and those are asserted explicitly, never skipped.
 */

const MAX_BODY = 64 * 1024;
const allRoutes = [...routes, ...probeRoutes, quotaRoute];
const cases = { ...baseCases, ...corsCases };

async function seededDeps(): Promise<HandlerDeps> {
  const leads = new MemoryLeadStore();
  for (const leadId of ['seed-1', 'café', 'a b', '🚀']) {
    await leads.put({ leadId, name: 'Seed', email: 'seed@example.com' }, FIXED_NOW);
  }
  return { leads, readiness: new DrainState(), logger: pino({ level: 'silent' }), clock: () => FIXED_NOW };
}

function toEvent(source: LambdaSource, request: HttpCase): Record<string, unknown> {
  switch (source) {
    case 'alb':
      return toAlbEvent(request, { multiValue: false });
    case 'alb-multivalue':
      return toAlbEvent(request, { multiValue: true });
    case 'apigw-v1':
      return toApiGatewayV1Event(request);
    case 'apigw-v2':
      return toApiGatewayV2Event(request);
    case 'function-url':
      return toApiGatewayV2Event(request, { functionUrl: true });
  }
}

describe('parity: ECS and Lambda answer identically', () => {
  let server: Server;
  let port: number;
  const lambdas = new Map<LambdaSource, LambdaHttpHandler>();

  beforeAll(async () => {
    // Each runtime gets its own store, seeded the same, so each case runs once per runtime.
    const app = createApp(await seededDeps(), {
      routes: allRoutes,
      maxBodyBytes: MAX_BODY,
      cors: PARITY_CORS,
      guards: [quotaGuard()],
      resolveInvocation: ecsInvocationResolver({
        stage: 'parity',
        functionName: 'api-parity',
        trustForwardedFor: true,
      }),
    });
    // Hosted as app/server.ts hosts the API: requests made with the app's prototypes.
    server = createServer({ ...HTTP_SERVER_OPTIONS, ...expressServerClasses(app) }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    for (const source of LAMBDA_SOURCES) {
      lambdas.set(
        source,
        createLambdaHandler(await seededDeps(), {
          stage: 'parity',
          maxBodyBytes: MAX_BODY,
          routes: allRoutes,
          cors: PARITY_CORS,
          guards: [quotaGuard()],
        }).handler,
      );
    }
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('has at least 40 cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(40);
  });

  describe.each(Object.entries({ ...cases, ...hostileCases }))('%s', (_name, testCase) => {
    let ecs: NormalizedResponse;

    beforeAll(async () => {
      for (const earlier of testCase.before ?? []) await sendToEcs(port, earlier);
      ecs = await sendToEcs(port, testCase.request);
    });

    it('ECS answers as specified', () => {
      expect(ecs.status).toBe(testCase.status);
      testCase.check?.(ecs);
    });

    it.each(LAMBDA_SOURCES)('Lambda behind %s answers the same', async (source) => {
      const handler = lambdas.get(source);
      if (!handler) throw new Error(`no handler for ${source}`);
      for (const earlier of testCase.before ?? []) await invokeLambda(handler, toEvent(source, earlier));
      const lambda = await invokeLambda(handler, toEvent(source, testCase.request));
      const forced = testCase.differs?.[source];
      if (forced) {
        expect(lambda.status).toBe(ecs.status);
        forced(ecs, lambda);
      } else {
        const volatile = testCase.volatileHeaders ?? [];
        expect(comparable(lambda, volatile)).toEqual(comparable(ecs, volatile));
      }
    });
  });

  it('echoes the Lambda request id as x-request-id, and generates one on ECS', async () => {
    const context = fakeLambdaContext();
    const handler = lambdas.get('alb-multivalue');
    if (!handler) throw new Error('no handler');
    const request: HttpCase = { name: 'id', method: 'GET', path: '/healthz' };
    const lambda = await invokeLambda(handler, toEvent('alb-multivalue', request), context);
    const first = await sendToEcs(port, request);
    const second = await sendToEcs(port, request);
    expect(lambda.headers['x-request-id']).toEqual([context.awsRequestId]);
    expect(first.headers['x-request-id']?.[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers['x-request-id']).not.toEqual(second.headers['x-request-id']);
  });

  it('caps the deadline by the Lambda invocation time left', async () => {
    const handler = lambdas.get('apigw-v1');
    if (!handler) throw new Error('no handler');
    // The route allows 5 s, the invocation has 400 ms left: the handler must see at most that.
    const response = await invokeLambda(
      handler,
      toEvent('apigw-v1', { name: 'deadline', method: 'GET', path: '/probe/echo/d' }),
      fakeLambdaContext(400),
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString()).remainingWithinDeadline).toBe(true);
  });
});
