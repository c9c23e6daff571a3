import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { sha256Hex } from '../../adapters/rate-limit/api-keys.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import { DEFAULT_CLASS_LIMITS } from '../../adapters/rate-limit/policy.js';
import { createApp } from '../../app/create-app.js';
import { HTTP_SERVER_OPTIONS } from '../../app/http-server-options.js';
import { InProcessQueue } from '../../app/jobs/job-queue.js';
import { MemoryJobStore } from '../../app/jobs/job-store.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../app/jobs/object-store.js';
import { createLambdaHandler, type LambdaHttpHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import type { HandlerDeps } from '../../handlers/types.js';
import { toAlbEvent, toApiGatewayV1Event, toApiGatewayV2Event } from '../parity/event-builders.js';
import type { HttpCase, NormalizedResponse } from '../parity/http-case.js';
import { fakeLambdaContext, invokeLambda, normalizeLambdaResult, sendToEcs } from '../parity/runtimes.js';
import { hostileRequest, malformedEvent } from './hostile-requests.js';

/**
 * Random and adversarial requests through both runtimes and every Lambda event source, with the
 * real route table, rate limiter and stores. Whatever is sent, the answer is a status below 500
 * and, for an error, the project's JSON error. Bounded runs keep it to a few seconds.
 */

const RUNS = 120;
const logger = pino({ level: 'silent' });
const API_KEY = 'fuzz-key-3c1d';
let objectsDir: string;

function deps(): HandlerDeps {
  return {
    leads: new MemoryLeadStore(),
    readiness: new DrainState(),
    logger,
    clock: () => new Date(),
    jobs: new JobsService({
      jobs: new MemoryJobStore(),
      // Nothing consumes it here: the fuzz is about the request path, not about running jobs.
      queue: new InProcessQueue(),
      objects: new LocalDirectoryObjectStore(objectsDir),
      runner: { stop: async () => {} },
      maxAttempts: 3,
      logger,
    }),
  };
}

function guards() {
  // Quotas far above the runs, so requests reach the handlers instead of stopping at 429.
  const huge = {
    anonymous: 1_000_000,
    authenticated: 1_000_000,
    windowSeconds: 60,
    onStoreFailure: 'open',
  } as const;
  return [
    createRateLimitGuard({
      settings: {
        classes: { ...DEFAULT_CLASS_LIMITS, standard: huge, jobs: huge },
        expectedInstances: 1,
        apiKeys: [{ client: 'fuzz', sha256: sha256Hex(API_KEY) }],
      },
      redis: undefined,
      keyPrefix: 'fuzz:',
      logger,
    }),
  ];
}

function assertAnswered(request: HttpCase, response: NormalizedResponse, where: string): void {
  const seen = `${where}: ${request.method} ${request.path}?${request.query ?? ''} → ${response.status} ${response.body.toString('utf8').slice(0, 200)}`;
  expect(response.status, seen).toBeGreaterThanOrEqual(200);
  expect(response.status, seen).toBeLessThan(500);
  if (response.status >= 400) {
    const body = JSON.parse(response.body.toString('utf8'));
    expect(typeof body.error?.code, seen).toBe('string');
    expect(typeof body.error?.message, seen).toBe('string');
  }
}

describe('fuzz: no request gets a 5xx, on any runtime or event source', () => {
  let server: Server;
  let port: number;
  let lambda: LambdaHttpHandler;

  beforeAll(async () => {
    objectsDir = await mkdtemp(join(tmpdir(), 'fuzz-objects-'));
    const app = createApp(deps(), {
      resolveInvocation: ecsInvocationResolver({
        stage: 'fuzz',
        functionName: 'api-fuzz',
        trustForwardedFor: true,
      }),
      maxBodyBytes: 64 * 1024,
      guards: guards(),
    });
    server = createServer(HTTP_SERVER_OPTIONS, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    lambda = createLambdaHandler(deps(), {
      stage: 'fuzz',
      maxBodyBytes: 64 * 1024,
      guards: guards(),
    }).handler;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(objectsDir, { recursive: true, force: true });
  });

  it('ECS: real HTTP on loopback', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        assertAnswered(request, await sendToEcs(port, request), 'ecs');
      }),
      { numRuns: RUNS },
    );
  });

  const sources: [string, (request: HttpCase) => Record<string, unknown>][] = [
    ['ALB, single-value headers', (r) => toAlbEvent(r, { multiValue: false })],
    ['ALB, multi-value headers', (r) => toAlbEvent(r, { multiValue: true })],
    ['API Gateway REST (v1)', (r) => toApiGatewayV1Event(r)],
    ['HTTP API (v2)', (r) => toApiGatewayV2Event(r)],
  ];
  it.each(sources)('Lambda behind %s', async (_name, toEvent) => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        assertAnswered(request, await invokeLambda(lambda, toEvent(request)), 'lambda');
      }),
      { numRuns: RUNS },
    );
  });

  it('Lambda given malformed events answers the JSON error, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(malformedEvent, async (event) => {
        const result = (await lambda(event, fakeLambdaContext())) as Parameters<
          typeof normalizeLambdaResult
        >[0];
        const response = normalizeLambdaResult(result);
        assertAnswered(
          { name: 'malformed', method: '?', path: JSON.stringify(event)?.slice(0, 200) ?? '' },
          response,
          'event',
        );
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('known hostile names: GET /healthz?constructor=1 and a __proto__ header are 200 everywhere', async () => {
    const request: HttpCase = {
      name: 'known',
      method: 'GET',
      path: '/healthz',
      query: 'constructor=1&__proto__=x&toString=2',
      headers: [
        ['constructor', '1'],
        ['__proto__', '2'],
      ],
    };
    const answers = [
      await sendToEcs(port, request),
      ...(await Promise.all(sources.map(([, toEvent]) => invokeLambda(lambda, toEvent(request))))),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
