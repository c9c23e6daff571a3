import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { withConcurrencyBounds } from '../../adapters/concurrency/guard.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import type { RouteDefinition } from '../../app/routes.js';
import { sharedRedisUrl, useSharedRedis } from '../helpers/redis-server.js';
import { capturingLogger, testSettings } from '../rate-limit/support.js';
import { RoundTripCounter } from './round-trip-counter.js';
import {
  boundedGuard,
  ecsApp,
  HELD_GROUP,
  heldHandler,
  heldRoute,
  inFlightProbe,
  quickHandler,
  untilReady,
} from './support.js';

describe('Max Concurrency in one process (shared Redis)', () => {
  const shared = useSharedRedis('cc');
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  /** The rate limiter's client exactly as the entry points build it. */
  async function leaseClient(url = sharedRedisUrl()): Promise<Redis> {
    const client = createRedisClient({ url }, RATE_LIMIT_REDIS_OPTIONS);
    clients.push(client);
    await untilReady(client);
    return client;
  }

  function heldRoutes(
    prefix: string,
    holdMs: number,
    extra: Partial<RouteDefinition> = {},
  ): RouteDefinition[] {
    const probe = inFlightProbe(prefix);
    return [
      heldRoute('GET', '/held/:n', heldHandler({ redis: shared.redis(), probe, holdMs }), extra),
      heldRoute('GET', '/quick', quickHandler),
    ];
  }

  it('admits the bound, refuses the rest at once with 503 concurrency_limited, and frees slots after', async () => {
    // Prepare
    const prefix = shared.prefix();
    const redis = await leaseClient();
    const { logger, lines } = capturingLogger();
    const routes = heldRoutes(prefix, 300);
    const { guard } = boundedGuard({
      redis,
      prefix,
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 2 } },
      logger,
    });
    const app = ecsApp(routes, guard);

    // Act
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const answer = await request(app).get(`/held/${i}`);
        return { answer, endedAt: performance.now() };
      }),
    );
    const after = await request(app).get('/quick');

    // Assess
    const admitted = answers.filter((a) => a.answer.status === 200);
    const refused = answers.filter((a) => a.answer.status === 503);
    expect(admitted).toHaveLength(2);
    expect(refused).toHaveLength(4);
    expect(Number(await shared.redis().get(inFlightProbe(prefix).maxKey))).toBe(2);
    // Refused at once: every refusal was answered before any admitted request ended its hold.
    expect(Math.max(...refused.map((a) => a.endedAt))).toBeLessThan(
      Math.min(...admitted.map((a) => a.endedAt)),
    );
    for (const { answer } of refused) {
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.headers['ratelimit-policy']).toBe('"standard-anonymous";q=1000000000;w=60');
      expect(answer.body).toEqual({
        error: {
          code: 'concurrency_limited',
          message: 'Too many requests to this service are in flight; retry after 1 s',
          details: { bound: 'group', retryAfterSeconds: 1 },
        },
      });
    }
    expect(after.status).toBe(200);
    expect(await shared.redis().zcard(`${prefix}cc:group:${HELD_GROUP}`)).toBe(0);
    const refusals = lines.filter((line) => line.event === 'concurrency_limited');
    expect(refusals).toHaveLength(4);
    expect(refusals.at(-1)).toMatchObject({
      route: 'GET /held/:n',
      group: HELD_GROUP,
      bound: `group:${HELD_GROUP}`,
      limit: 2,
      source: 'redis',
      refused: 4,
    });
    // A deliberate refusal is not a server error: no error line with a stack per request.
    expect(lines.filter((line) => line.level === 50)).toEqual([]);
  });

  it('holds one route to its own bound inside its group, and names the route bound', async () => {
    // Prepare: the held route may have 1 in flight, the group 3.
    const prefix = shared.prefix();
    const redis = await leaseClient();
    const routes = heldRoutes(prefix, 300, { maxConcurrency: 1 });
    const { guard } = boundedGuard({
      redis,
      prefix,
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 3 } },
    });
    const app = ecsApp(routes, guard);

    // Act
    const held = Promise.all(Array.from({ length: 3 }, (_, i) => request(app).get(`/held/${i}`)));
    await sleep(100);
    const quick = await Promise.all(Array.from({ length: 2 }, () => request(app).get('/quick')));
    const heldAnswers = await held;

    const third = await request(app).get('/quick');

    // Assess: one held request runs; the quick route still has the group's other two slots.
    expect(heldAnswers.map((a) => a.status).sort()).toEqual([200, 503, 503]);
    expect(heldAnswers.find((a) => a.status === 503)?.body.error.details.bound).toBe('route');
    expect(heldAnswers.find((a) => a.status === 503)?.body.error.message).toContain('this endpoint');
    expect(quick.map((a) => a.status)).toEqual([200, 200]);
    expect(third.status).toBe(200);
  });

  it('queues for a slot for up to maxQueueMs, then refuses', async () => {
    // Prepare: one slot, each request holds it 100 ms, a request may wait 400 ms for it.
    const prefix = shared.prefix();
    const redis = await leaseClient();
    const routes = heldRoutes(prefix, 100);
    const { guard } = boundedGuard({
      redis,
      prefix,
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 1, maxQueueMs: 400 } },
    });
    const app = ecsApp(routes, guard);

    // Act
    const answers = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const started = performance.now();
        const answer = await request(app).get(`/held/${i}`);
        return { status: answer.status, ms: performance.now() - started };
      }),
    );

    // Assess: the first runs at once, the next ones in turn while the queue lasts, one at a time.
    const admitted = answers.filter((a) => a.status === 200).length;
    expect(admitted).toBeGreaterThanOrEqual(2);
    expect(admitted).toBeLessThanOrEqual(4);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.map((a) => a.status)).toEqual(refused.map(() => 503));
    for (const { ms } of refused) expect(ms).toBeGreaterThanOrEqual(385);
    expect(Number(await shared.redis().get(inFlightProbe(prefix).maxKey))).toBe(1);
  });

  it('never queues past the request deadline', async () => {
    // Prepare: a long request holds the only slot; the quick route's deadline (200 ms) comes
    // before its group's queue time (2 s) is over.
    const prefix = shared.prefix();
    const redis = await leaseClient();
    const probe = inFlightProbe(prefix);
    let finish = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const routes = [
      heldRoute(
        'GET',
        '/held/:n',
        heldHandler({ redis: shared.redis(), probe, holdMs: 0, release: () => held }),
      ),
      heldRoute('GET', '/quick', quickHandler, { timeoutMs: 200 }),
    ];
    const { guard } = boundedGuard({
      redis,
      prefix,
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 1, maxQueueMs: 2_000 } },
    });
    const app = ecsApp(routes, guard);
    const holder = request(app)
      .get('/held/1')
      .then((a) => a.status);
    while (Number(await shared.redis().get(probe.inFlightKey)) < 1) await sleep(5);

    // Act
    const started = performance.now();
    const quick = await request(app).get('/quick');
    const ms = performance.now() - started;
    finish();

    // Assess
    expect(quick.status).toBe(503);
    expect(ms).toBeGreaterThanOrEqual(180);
    expect(ms).toBeLessThan(1_000);
    expect(await holder).toBe(200);
  });

  it('gives the slot straight back when the rate limiter refuses the request', async () => {
    // Prepare: a quota of 1 point for anonymous clients.
    const prefix = shared.prefix();
    const redis = await leaseClient();
    const routes = heldRoutes(prefix, 0);
    const strict = createRateLimitGuard({
      settings: testSettings({ standard: { anonymous: 1 } }),
      redis,
      keyPrefix: prefix,
      logger: pino({ level: 'silent' }),
      routes,
    });
    const { gate } = boundedGuard({ redis, prefix, routes, groups: { [HELD_GROUP]: { maxConcurrency: 5 } } });
    const app = ecsApp(routes, withConcurrencyBounds(strict, gate));

    // Act
    const first = await request(app).get('/quick');
    const second = await request(app).get('/quick');
    await sleep(50);

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('rate_limited');
    expect(await shared.redis().zcard(`${prefix}cc:group:${HELD_GROUP}`)).toBe(0);
  });

  it('pays one Redis round trip for the rate-limit count and the lease together', async () => {
    // Prepare: the limiter's client talks to Redis through a relay that counts round trips.
    const prefix = shared.prefix();
    const target = new URL(sharedRedisUrl());
    const relay = await RoundTripCounter.start({ host: target.hostname, port: Number(target.port || 6379) });
    try {
      const redis = await leaseClient(relay.url);
      const routes = heldRoutes(prefix, 0);
      const { guard } = boundedGuard({
        redis,
        prefix,
        routes,
        groups: { [HELD_GROUP]: { maxConcurrency: 5 } },
      });
      const app = ecsApp(routes, guard);
      await request(app).get('/quick'); // loads the scripts into Redis (EVALSHA's first miss)
      await sleep(50);

      // Act
      const before = relay.turns;
      const answer = await request(app).get('/quick');
      const duringRequest = relay.turns - before;
      await sleep(50); // the release, sent after the response

      // Assess: one round trip before the handler ran; the release is one more, after the response.
      expect(answer.status).toBe(200);
      expect(answer.headers['x-ratelimit-remaining']).toBeDefined();
      expect(duringRequest).toBe(1);
      expect(relay.turns - before).toBe(2);
    } finally {
      await relay.close();
    }
  });

  it('holds the whole bound in one process when there is no Redis (npm start)', async () => {
    // Prepare
    const prefix = shared.prefix();
    const routes = heldRoutes(prefix, 200);
    const { guard } = boundedGuard({
      redis: undefined,
      prefix,
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 3 } },
      expectedInstances: 4,
    });
    const app = ecsApp(routes, guard);

    // Act
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => request(app).get(`/held/${i}`)));

    // Assess
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 503, 503]);
  });
});
