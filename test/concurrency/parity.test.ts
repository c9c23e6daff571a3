import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import type { LambdaHttpHandler } from '../../app/lambda-handler.js';
import { createRedisClient } from '../../app/redis.js';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';
import { LAMBDA_SOURCES, type LambdaSource } from '../parity/cases.js';
import { toAlbEvent, toApiGatewayV1Event, toApiGatewayV2Event } from '../parity/event-builders.js';
import type { HttpCase, NormalizedResponse } from '../parity/http-case.js';
import { comparable, invokeLambda, sendToEcs } from '../parity/runtimes.js';
import {
  boundedGuard,
  ecsApp,
  HELD_GROUP,
  heldHandler,
  heldRoute,
  inFlightProbe,
  lambdaHandler,
  quickHandler,
  untilReady,
} from './support.js';

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

/** Seconds until the window ends may differ by one between two answers straddling a second. */
function withoutSecondCounts(response: NormalizedResponse): ReturnType<typeof comparable> {
  const shown = comparable(response);
  const headers = { ...shown.headers };
  delete headers['x-ratelimit-reset'];
  headers.ratelimit = (headers.ratelimit ?? []).map((v) => v.replace(/;t=\d+/, ';t=…'));
  return { ...shown, headers };
}

/**
 * A full group answers the same on every runtime and event source: status, headers and body,
 * wherever the request came from, because each runtime takes its slot from the same Redis.
 */
describe('parity: a full group is refused alike on ECS and on every Lambda event source', () => {
  // One prefix for the whole block: the holder's lease must outlive each test.
  const prefix = uniquePrefix('cc-parity');
  let admin: Redis;
  const clients: Redis[] = [];
  let server: Server;
  let port: number;
  const lambdas = new Map<LambdaSource, LambdaHttpHandler>();
  let finish = () => {};
  let holder: Promise<NormalizedResponse>;

  beforeAll(async () => {
    admin = new Redis(sharedRedisUrl());
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const probe = inFlightProbe(prefix);
    const runtime = async () => {
      // Each runtime as its own instance: its own clients and gate, one Redis.
      const leases = createRedisClient({ url: sharedRedisUrl() }, RATE_LIMIT_REDIS_OPTIONS);
      const handlerRedis = createRedisClient({ url: sharedRedisUrl() });
      clients.push(leases, handlerRedis);
      await untilReady(leases);
      await untilReady(handlerRedis);
      const routes = [
        heldRoute(
          'GET',
          '/held/:n',
          heldHandler({ redis: handlerRedis, probe, holdMs: 0, release: () => held }),
        ),
        heldRoute('GET', '/quick', quickHandler),
      ];
      return {
        routes,
        ...boundedGuard({ redis: leases, prefix, routes, groups: { [HELD_GROUP]: { maxConcurrency: 1 } } }),
      };
    };
    const ecs = await runtime();
    server = createServer(ecsApp(ecs.routes, ecs.guard));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    for (const source of LAMBDA_SOURCES) {
      const lambda = await runtime();
      lambdas.set(source, lambdaHandler(lambda.routes, lambda.guard));
    }
    holder = sendToEcs(port, { name: 'holder', method: 'GET', path: '/held/1', sourceIp: '198.51.100.60' });
    while (Number(await admin.get(probe.inFlightKey)) < 1) await sleep(5);
  });

  afterAll(async () => {
    finish();
    await holder;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const client of clients) client.disconnect();
    await deletePrefix(admin, prefix);
    admin.disconnect();
  });

  it('ECS refuses with 503, Retry-After, the rate-limit headers and concurrency_limited', async () => {
    // Act
    const ecs = await sendToEcs(port, {
      name: 'ecs',
      method: 'GET',
      path: '/quick',
      sourceIp: '198.51.100.61',
    });
    // Assess
    expect(ecs.status).toBe(503);
    expect(ecs.headers['retry-after']).toEqual(['1']);
    expect(ecs.headers['content-type']).toEqual(['application/json; charset=utf-8']);
    expect(ecs.headers['x-ratelimit-remaining']).toEqual(['999999999']);
    expect(JSON.parse(ecs.body.toString('utf8'))).toEqual({
      error: {
        code: 'concurrency_limited',
        message: 'Too many requests to this service are in flight; retry after 1 s',
        details: { bound: 'group', retryAfterSeconds: 1 },
      },
    });
  });

  it.each(LAMBDA_SOURCES)('Lambda behind %s answers the same', async (source) => {
    // Prepare: each source is a client of its own, so each sees its first count.
    const ip = `198.51.100.${70 + LAMBDA_SOURCES.indexOf(source)}`;
    const handler = lambdas.get(source);
    if (!handler) throw new Error(`no handler for ${source}`);
    // Act
    const ecs = await sendToEcs(port, {
      name: 'ecs',
      method: 'GET',
      path: '/quick',
      sourceIp: `${ip.replace(/\.\d+$/, '')}.${80 + LAMBDA_SOURCES.indexOf(source)}`,
    });
    const lambda = await invokeLambda(
      handler,
      toEvent(source, { name: source, method: 'GET', path: '/quick', sourceIp: ip }),
    );
    // Assess
    expect(ecs.status).toBe(503);
    expect(lambda.status).toBe(503);
    expect(withoutSecondCounts(lambda)).toEqual(withoutSecondCounts(ecs));
  });
});
