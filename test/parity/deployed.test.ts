import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLeadStore } from '../../app/leads/redis-lead-store.js';
import { resolveRouteTargets } from '../../app/route-targets.js';
import { routeId, routes } from '../../app/routes.js';
import { environmentRouting } from '../../infra/environments.js';
import { decide } from '../../local-stack/alb/rule-engine.js';
import { EcsTask } from '../../local-stack/ecs-task.js';
import { type RunningStack, startStack } from '../../local-stack/stack.js';
import { builtArtifacts } from '../helpers/built-artifacts.js';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';
import { cases, FIXED_NOW } from './cases.js';
import type { HttpCase, NormalizedResponse } from './http-case.js';
import { comparable, sendHttp } from './runtimes.js';

/**
 * Deployed mode: the parity cases sent over HTTP to the local stack (`npm run stack`: the built
 * zips and server behind the local ALB running the synthesized rules) must answer as the ECS
 * server answers them directly, for dev, prod, and dev with every route flipped. The reference is a
 * second ECS task with the same environment and its own Redis prefix, so both see the same state
 * and count the same quota. Cases on the test-only probe routes are not in the built artifacts and
 * are left out. Volatile beyond the usual headers: the seconds to the rate-limit window's end and
 * timestamps the server writes (the two processes start their windows and clocks apart).
 */

const SEEDED = ['seed-1', 'café', 'a b', '🚀'];
const deployedCases = Object.entries(cases).filter(([, c]) => !c.request.path.startsWith('/probe/'));

/** Every route on the other runtime than dev gives it (where the route allows it). */
const flipEveryRoute = resolveRouteTargets(routes, {
  environment: environmentRouting.dev?.routeTargets ?? {},
})
  .map((a) => ({ id: a.id, to: a.target === 'ecs' ? 'lambda' : 'ecs', allowed: a.route.targets }))
  .filter((f) => f.allowed.includes(f.to as 'ecs' | 'lambda'))
  .map((f) => `${f.id}=${f.to}`)
  .join(',');

const MODES = [
  { name: 'dev', env: 'dev', routeTargets: undefined },
  { name: 'prod', env: 'prod', routeTargets: undefined },
  { name: 'dev, every route flipped', env: 'dev', routeTargets: flipEveryRoute },
] as const;

function stable(response: NormalizedResponse): ReturnType<typeof comparable> {
  const view = comparable(response);
  const headers = Object.fromEntries(
    Object.entries(view.headers)
      .filter(([name]) => name !== 'x-ratelimit-reset')
      .map(([name, values]) => [
        name,
        name === 'ratelimit' ? values.map((v) => v.replace(/;t=\d+/, ';t=…')) : values,
      ]),
  );
  const body = Buffer.from(view.body, 'base64')
    .toString('latin1')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>');
  return { status: view.status, headers, body };
}

let dist: string;
let redis: Redis;
const prefixes: string[] = [];
beforeAll(async () => {
  dist = await builtArtifacts();
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
}, 120_000);

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

it('runs enough cases to mean something', () => {
  expect(deployedCases.length).toBeGreaterThanOrEqual(20);
  expect(flipEveryRoute.split(',').length).toBe(routes.length);
});

describe.each(MODES)('deployed: $name', ({ env, routeTargets }) => {
  let stack: RunningStack;
  let reference: EcsTask;

  beforeAll(async () => {
    const prefix = uniquePrefix(`deployed-${env}`);
    prefixes.push(prefix);
    for (const side of ['stack:', 'reference:']) {
      const leads = new RedisLeadStore(redis, `${prefix}${side}`);
      for (const leadId of SEEDED)
        await leads.put({ leadId, name: 'Seed', email: 'seed@example.com' }, FIXED_NOW);
    }
    stack = await startStack({
      env,
      ...(routeTargets ? { routeTargets } : {}),
      distDir: dist,
      redisUrl: sharedRedisUrl(),
      redisKeyPrefix: `${prefix}stack:`,
      logLevel: 'silent',
    });
    reference = await EcsTask.start({
      serverFile: join(dist, 'server', 'server.mjs'),
      environment: { ...stack.ecsEnvironment, REDIS_KEY_PREFIX: `${prefix}reference:` },
      logFd: 'ignore',
      cwd: dist,
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await reference?.stop();
  });

  it('routes every route as the environment says', () => {
    const expected = resolveRouteTargets(routes, {
      environment: environmentRouting[env]?.routeTargets ?? {},
      ...(routeTargets
        ? { deploy: Object.fromEntries(routeTargets.split(',').map((e) => e.split('='))) }
        : {}),
    });
    for (const assignment of expected) {
      const reach = stack.routes.find((r) => r.route === assignment.id);
      expect(reach?.target, assignment.id).toMatch(
        assignment.target === 'ecs' ? /^ecs / : new RegExp(`^lambda .*-fn-${assignment.route.lambdaGroup}$`),
      );
    }
    expect(stack.routes.map((r) => r.route)).toEqual(routes.map(routeId));
  });

  it.each(deployedCases)('%s', async (_name, testCase) => {
    // Prepare: the headers the ALB adds travel to the reference too, so both see one request.
    const request: HttpCase = testCase.request;
    const albHeaders: [string, string][] = [
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Port', String(stack.port)],
    ];

    // Act
    const throughAlb = await sendHttp(stack.port, request);
    const direct = await sendHttp(reference.port, request, {
      appendForwardedFor: '127.0.0.1',
      extraHeaders: albHeaders,
    });

    // Assess
    expect(direct.status).toBe(testCase.status);
    const [path, query = ''] = [request.path, request.query];
    const decision = decide(stack.config, {
      method: request.method,
      path,
      query,
      headers: (request.headers ?? []).map(([n, v]) => [n.toLowerCase(), v]),
      sourceIp: '127.0.0.1',
    });
    if (decision.rule === undefined && decision.action.type === 'fixed-response') {
      // No rule matches: the ALB answers itself. Same status and error code (the fixed response has
      // the app's 404 shape; it cannot name the method and path), with the content type ELB allows
      // and its own Server header.
      const code = (r: NormalizedResponse) =>
        (JSON.parse(r.body.toString()) as { error: { code: string } }).error.code;
      expect(throughAlb.status).toBe(direct.status);
      expect(code(throughAlb)).toBe(code(direct));
      expect(throughAlb.headers['content-type']).toEqual(['application/json']);
      expect(throughAlb.headers.server).toEqual(['awselb/2.0']);
    } else {
      expect(stable(throughAlb)).toEqual(stable(direct));
    }
  });
});
