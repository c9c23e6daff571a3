import { pino } from 'pino';
import { expect } from 'vitest';
import type { CorsSettings } from '../../adapters/cors-settings.js';
import type { RequestGuard } from '../../adapters/lambda-to-express.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import type { RouteDefinition } from '../../app/routes.js';
import { json } from '../../handlers/respond.js';
import type { ParityCase } from './cases.js';
import type { HttpCase, NormalizedResponse } from './http-case.js';
import { PROBE_BODY_LIMIT } from './probe-routes.js';

/**
 * CORS parity cases: preflights, allowed and disallowed origins, and the exposed headers on 2xx,
 * 4xx and 429, the same on ECS and on every Lambda event source.
 */

export const PAGE_ORIGIN = 'https://app.example.com';

export const PARITY_CORS: CorsSettings = {
  origins: [PAGE_ORIGIN],
  allowCredentials: false,
  maxAgeSeconds: 600,
  preflightsPerMinute: 600,
};

/** A limited probe: one point per window, so its second request is a 429. */
export const quotaRoute: RouteDefinition = {
  method: 'GET',
  path: '/probe/quota',
  handler: () => async () => json(200, { counted: true }),
  target: 'ecs',
  targets: ['ecs', 'lambda'],
  rateLimit: { class: 'jobs', cost: 1 },
  lambdaGroup: 'probe',
  timeoutMs: 5_000,
  summary: 'parity probe: rate limited',
};

/** The rate limiter with memory counters, for the quota probe only (other cases stay uncounted). */
export function quotaGuard(): RequestGuard {
  const classLimits = { anonymous: 1, authenticated: 1, windowSeconds: 60, onStoreFailure: 'open' } as const;
  const guard = createRateLimitGuard({
    settings: { classes: { standard: classLimits, jobs: classLimits }, expectedInstances: 1, apiKeys: [] },
    redis: undefined,
    keyPrefix: '',
    logger: pino({ level: 'silent' }),
    routes: [quotaRoute],
  });
  return (input) => (input.route.path === quotaRoute.path ? guard(input) : Promise.resolve(undefined));
}

const corsHeaderNames = (r: NormalizedResponse) =>
  Object.keys(r.headers).filter((h) => h.startsWith('access-control-'));

function expectReadable(r: NormalizedResponse, ...exposed: string[]): void {
  expect(r.headers['access-control-allow-origin']).toEqual([PAGE_ORIGIN]);
  expect(r.headers.vary).toEqual(['Origin']);
  const list = (r.headers['access-control-expose-headers']?.[0] ?? '').split(',');
  for (const name of ['Location', 'RateLimit', 'Retry-After', 'X-Request-Id', ...exposed])
    expect(list).toContain(name);
}

const fromPage = (request: Omit<HttpCase, 'name'>): HttpCase => ({
  name: '',
  ...request,
  headers: [['Origin', PAGE_ORIGIN], ...(request.headers ?? [])],
});

const preflight = (path: string, method: string, origin = PAGE_ORIGIN): HttpCase => ({
  name: '',
  method: 'OPTIONS',
  path,
  headers: [
    ['Origin', origin],
    ['Access-Control-Request-Method', method],
    ['Access-Control-Request-Headers', 'content-type,idempotency-key'],
  ],
});

/** The 429 case: its client has spent its one point first. */
const quotaClient = '198.51.100.77';

export const corsCases: Record<string, ParityCase> = {
  'CORS preflight from an allowed origin: 204 with the path’s methods and accepted headers': {
    request: preflight('/leads/seed-1', 'POST'),
    status: 204,
    check: (r) => {
      expect(r.headers['access-control-allow-origin']).toEqual([PAGE_ORIGIN]);
      expect(r.headers['access-control-allow-methods']).toEqual(['GET,HEAD,POST']);
      expect(r.headers['access-control-allow-headers']).toEqual([
        'content-type,authorization,x-api-key,idempotency-key,prefer',
      ]);
      expect(r.headers['access-control-max-age']).toEqual(['600']);
      expect(r.body.length).toBe(0);
    },
  },
  'CORS preflight for a method the path lacks gets no CORS headers': {
    request: preflight('/leads/seed-1', 'DELETE'),
    status: 204,
    check: (r) => expect(corsHeaderNames(r)).toEqual([]),
  },
  'CORS preflight from another origin gets no CORS headers': {
    request: preflight('/leads/seed-1', 'GET', 'https://evil.example'),
    status: 204,
    check: (r) => expect(corsHeaderNames(r)).toEqual([]),
  },
  'CORS preflight on an unknown path is 404': {
    request: preflight('/nothing/here', 'GET'),
    status: 404,
  },
  'allowed origin on a 2xx can read the exposed headers': {
    request: fromPage({ method: 'GET', path: '/leads/seed-1' }),
    status: 200,
    check: (r) => expectReadable(r, 'RateLimit-Policy', 'X-RateLimit-Remaining', 'Preference-Applied'),
  },
  'allowed origin on a 404': {
    request: fromPage({ method: 'GET', path: '/leads/nobody' }),
    status: 404,
    check: (r) => expectReadable(r),
  },
  'allowed origin on a 405 can read Allow': {
    request: fromPage({ method: 'DELETE', path: '/leads/seed-1' }),
    status: 405,
    check: (r) => expectReadable(r, 'Allow'),
  },
  'allowed origin on a 413': {
    request: fromPage({
      method: 'POST',
      path: '/probe/limited',
      headers: [['content-type', 'text/plain']],
      body: 'x'.repeat(PROBE_BODY_LIMIT + 1),
    }),
    status: 413,
    check: (r) => expectReadable(r),
  },
  'allowed origin on a 429 can read Retry-After and RateLimit': {
    before: [fromPage({ method: 'GET', path: '/probe/quota', sourceIp: quotaClient })],
    request: fromPage({ method: 'GET', path: '/probe/quota', sourceIp: quotaClient }),
    status: 429,
    // Seconds counted from each runtime's own window may straddle a second boundary.
    volatileHeaders: ['ratelimit', 'x-ratelimit-reset', 'retry-after'],
    check: (r) => {
      expectReadable(r);
      expect(r.headers['retry-after']?.[0]).toMatch(/^\d+$/);
      expect(r.headers.ratelimit?.[0]).toMatch(/^"jobs-anonymous";r=0;t=\d+$/);
    },
  },
  'a disallowed origin gets no CORS headers, and the answer still comes': {
    request: {
      name: '',
      method: 'GET',
      path: '/leads/seed-1',
      headers: [['Origin', 'https://evil.example']],
    },
    status: 200,
    check: (r) => {
      expect(corsHeaderNames(r)).toEqual([]);
      expect(r.headers.vary).toEqual(['Origin']);
    },
  },
};
