import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import type { RequestGuard } from '../../adapters/lambda-to-express.js';
import { sha256Hex } from '../../adapters/rate-limit/api-keys.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import type { ClassLimits, RateLimitSettings } from '../../adapters/rate-limit/policy.js';
import { createApp } from '../../app/create-app.js';
import { createLambdaHandler, type LambdaHttpHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import type { RouteDefinition } from '../../app/routes.js';
import type { HandlerDeps } from '../../handlers/types.js';

/** A key the tests present, and the hash the configuration holds for it. */
export const API_KEY = 'rl-test-key-0f6c1e';
export const OTHER_API_KEY = 'rl-test-key-9a7b22';

const ok = async (): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: '{"ok":true}',
});

function route(
  method: RouteDefinition['method'],
  path: string,
  rateClass: RouteDefinition['rateLimit']['class'],
  cost: number,
): RouteDefinition {
  return {
    method,
    path,
    handler: () => ok,
    target: 'ecs',
    targets: ['ecs', 'lambda'],
    rateLimit: { class: rateClass, cost },
    lambdaGroup: 'api',
    timeoutMs: 5_000,
    summary: `${method} ${path}`,
  };
}

/** Routes with the shapes of the real table (reads cost 1, writes 2, jobs 5), fixed for these tests. */
export const TEST_ROUTES: readonly RouteDefinition[] = [
  route('GET', '/healthz', 'none', 0),
  route('GET', '/items/:id', 'standard', 1),
  route('POST', '/items/:id', 'standard', 2),
  route('POST', '/runs', 'jobs', 5),
];

export function testSettings(
  overrides: {
    standard?: Partial<ClassLimits>;
    jobs?: Partial<ClassLimits>;
    expectedInstances?: number;
  } = {},
): RateLimitSettings {
  return {
    classes: {
      standard: {
        anonymous: 6,
        authenticated: 10,
        windowSeconds: 60,
        onStoreFailure: 'open',
        ...overrides.standard,
      },
      jobs: {
        anonymous: 10,
        authenticated: 20,
        windowSeconds: 60,
        onStoreFailure: 'open',
        ...overrides.jobs,
      },
    },
    expectedInstances: overrides.expectedInstances ?? 1,
    apiKeys: [{ client: 'alpha', sha256: sha256Hex(API_KEY) }],
  };
}

/** A pino logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

export function guardFor(options: {
  redis: Redis | undefined;
  prefix: string;
  settings?: RateLimitSettings;
  logger?: Logger;
}): RequestGuard {
  return createRateLimitGuard({
    settings: options.settings ?? testSettings(),
    redis: options.redis,
    keyPrefix: options.prefix,
    logger: options.logger ?? pino({ level: 'silent' }),
    routes: TEST_ROUTES,
  });
}

function deps(logger: Logger): HandlerDeps {
  return { leads: new MemoryLeadStore(), readiness: new DrainState(), logger, clock: () => new Date() };
}

/** The ECS runtime: the app behind an ALB (which writes the right-most X-Forwarded-For). */
export function ecsApp(guard: RequestGuard): Express {
  const logger = pino({ level: 'silent' });
  return createApp(deps(logger), {
    resolveInvocation: ecsInvocationResolver({
      stage: 'test',
      functionName: 'api-test',
      trustForwardedFor: true,
    }),
    maxBodyBytes: 64 * 1024,
    routes: TEST_ROUTES,
    guards: [guard],
  });
}

export function lambdaHandler(guard: RequestGuard): LambdaHttpHandler {
  const logger = pino({ level: 'silent' });
  return createLambdaHandler(deps(logger), {
    stage: 'test',
    maxBodyBytes: 64 * 1024,
    routes: TEST_ROUTES,
    guards: [guard],
  }).handler;
}

export function lambdaContext(): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'api-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-test',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/api-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export const RATE_LIMIT_HEADERS = [
  'ratelimit-policy',
  'ratelimit',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
] as const;

/** The rate-limit headers of a response, names lower-cased; absent ones left out. */
export function rateLimitHeadersOf(headers: Record<string, unknown>): Record<string, string> {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const picked: Record<string, string> = {};
  for (const name of RATE_LIMIT_HEADERS) {
    const value = lower[name];
    if (value !== undefined) picked[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return picked;
}
