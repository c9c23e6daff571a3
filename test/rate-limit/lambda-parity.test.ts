import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useSharedRedis } from '../helpers/redis-server.js';
import {
  type ClientRequest,
  EVENT_SOURCES,
  type EventSource,
  lambdaEvent,
  lambdaResponse,
} from './lambda-events.js';
import {
  API_KEY,
  ecsApp,
  guardFor,
  lambdaContext,
  lambdaHandler,
  OTHER_API_KEY,
  rateLimitHeadersOf,
} from './support.js';

interface Observed {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly errorCode: string | undefined;
}

const CLIENT = '198.51.100.20';
const KEY_CLIENT = '198.51.100.21';

/** The same client requests, in order, that both runtimes must answer alike. */
const SCENARIO: readonly ClientRequest[] = [
  ...Array.from({ length: 7 }, () => ({ method: 'GET' as const, path: '/items/1', clientIp: CLIENT })),
  { method: 'POST', path: '/runs', body: '{}', clientIp: CLIENT },
  { method: 'POST', path: '/items/2', body: '{}', clientIp: KEY_CLIENT },
  { method: 'GET', path: '/items/1', headers: { authorization: `Bearer ${API_KEY}` }, clientIp: KEY_CLIENT },
  { method: 'GET', path: '/items/1', headers: { 'x-api-key': API_KEY }, clientIp: CLIENT },
  { method: 'GET', path: '/items/1', headers: { 'x-api-key': OTHER_API_KEY }, clientIp: KEY_CLIENT },
  { method: 'GET', path: '/healthz', clientIp: CLIENT },
  // A client that forges X-Forwarded-For entries: still the same address, still refused.
  { method: 'GET', path: '/items/1', headers: { 'x-forwarded-for': '1.2.3.4' }, clientIp: CLIENT },
];

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Values that count seconds may differ by one when two runs straddle a second boundary. */
function assertSameAnswer(ecs: Observed, lambda: Observed, step: number): void {
  const where = `step ${step}`;
  expect(lambda.status, where).toBe(ecs.status);
  expect(lambda.errorCode, where).toBe(ecs.errorCode);
  expect(Object.keys(lambda.headers).sort(), where).toEqual(Object.keys(ecs.headers).sort());
  for (const name of ['ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining']) {
    expect(lambda.headers[name], `${where} ${name}`).toBe(ecs.headers[name]);
  }
  for (const name of ['x-ratelimit-reset', 'retry-after']) {
    if (ecs.headers[name] === undefined) continue;
    expect(
      Math.abs(Number(lambda.headers[name]) - Number(ecs.headers[name])),
      `${where} ${name}`,
    ).toBeLessThanOrEqual(1);
  }
  if (ecs.headers.ratelimit !== undefined) {
    const parse = (value: string | undefined) => /^("[^"]+";r=\d+);t=(\d+)$/.exec(value ?? '');
    const [e, l] = [parse(ecs.headers.ratelimit), parse(lambda.headers.ratelimit)];
    expect(l?.[1], `${where} ratelimit`).toBe(e?.[1]);
    expect(Math.abs(Number(l?.[2]) - Number(e?.[2])), `${where} ratelimit t`).toBeLessThanOrEqual(1);
  }
}

describe('rate limiting through the Lambda handler answers as the ECS path does', () => {
  const store = useSharedRedis('rl');
  const prefix = () => store.prefix();

  async function viaEcs(app: ReturnType<typeof ecsApp>, step: ClientRequest): Promise<Observed> {
    const forwarded = step.headers?.['x-forwarded-for'];
    const headers = {
      ...step.headers,
      // The ALB appends the address it saw to whatever the client sent.
      'x-forwarded-for': forwarded ? `${forwarded}, ${step.clientIp}` : step.clientIp,
    };
    const test = step.method === 'GET' ? request(app).get(step.path) : request(app).post(step.path);
    test.set(headers);
    if (step.body !== undefined) test.set('content-type', 'application/json').send(step.body);
    const res = await test;
    return { status: res.status, headers: rateLimitHeadersOf(res.headers), errorCode: errorCode(res.text) };
  }

  it.each(EVENT_SOURCES)(
    '%s events: same status and rate-limit headers at every step',
    async (source: EventSource) => {
      // Prepare: one counter namespace per runtime, so each sees the scenario from a fresh start.
      const app = ecsApp(guardFor({ redis: store.redis(), prefix: prefix() }));
      const handler = lambdaHandler(guardFor({ redis: store.redis(), prefix: prefix() }));
      // Act + Assess, step by step, so the two windows start within milliseconds of each other.
      for (const [index, step] of SCENARIO.entries()) {
        const ecs = await viaEcs(app, step);
        const raw = lambdaResponse(await handler(lambdaEvent(source, step) as never, lambdaContext()));
        const lambda: Observed = {
          status: raw.status,
          headers: rateLimitHeadersOf(raw.headers),
          errorCode: errorCode(raw.body),
        };
        assertSameAnswer(ecs, lambda, index + 1);
      }
    },
  );

  it('the scenario itself covers 200, 429, 401 and the unlimited health check', async () => {
    const app = ecsApp(guardFor({ redis: store.redis(), prefix: prefix() }));
    const statuses = [];
    for (const step of SCENARIO) statuses.push((await viaEcs(app, step)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 200, 200, 200, 200, 401, 200, 429]);
  });

  it('both runtimes draw on one shared count in Redis', async () => {
    const shared = prefix();
    const app = ecsApp(guardFor({ redis: store.redis(), prefix: shared }));
    const handler = lambdaHandler(guardFor({ redis: store.redis(), prefix: shared }));
    const step: ClientRequest = { method: 'GET', path: '/items/1', clientIp: '198.51.100.30' };
    const remaining: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      remaining.push((await viaEcs(app, step)).headers['x-ratelimit-remaining'] ?? '');
      const raw = lambdaResponse(await handler(lambdaEvent('alb', step) as never, lambdaContext()));
      remaining.push(raw.headers['x-ratelimit-remaining'] ?? '');
    }
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);
  });
});
