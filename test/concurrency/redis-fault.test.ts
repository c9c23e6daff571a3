import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { capturingLogger } from '../rate-limit/support.js';
import { boundedGuard, ecsApp, HELD_GROUP, heldRoute, untilReady } from './support.js';

function events(lines: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return lines.filter((line) => line.event === name);
}

/** Faults on a private redis-server: bounds hold per process while it is gone, and come back. */
describe('Max Concurrency when Redis fails', () => {
  let server: PrivateRedis;
  let leases: Redis;

  beforeAll(async () => {
    server = await PrivateRedis.start();
  });
  afterAll(async () => {
    leases?.disconnect();
    await server.stop();
  });

  it('holds each process to ceil(bound ÷ instances) while Redis is down, logs once, and shares again by itself', async () => {
    // Prepare: a bound of 4 shared by 2 expected instances: 2 per process while Redis is down. The
    // handlers count themselves in this process (Redis is the thing that fails). The rate limiter
    // runs too, on its insurance limiter during the outage, as deployed.
    leases = createRedisClient({ url: server.url }, RATE_LIMIT_REDIS_OPTIONS);
    await untilReady(leases);
    let running = 0;
    let most = 0;
    const counted = () => {
      running += 1;
      most = Math.max(most, running);
      return sleep(500).finally(() => {
        running -= 1;
      });
    };
    const routes = [
      heldRoute('GET', '/held/:n', () => async () => {
        await counted();
        return { statusCode: 200, body: '{}' };
      }),
    ];
    const { logger, lines } = capturingLogger();
    const { guard } = boundedGuard({
      redis: leases,
      prefix: 'fault:',
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 4 } },
      expectedInstances: 2,
      logger,
    });
    const app = ecsApp(routes, guard);
    let answered = 0;
    const burst = async (size: number) => {
      most = 0;
      answered = 0;
      const answers = await Promise.all(
        Array.from({ length: size }, (_, i) =>
          request(app)
            .get(`/held/${i}`)
            .then((answer) => {
              answered += 1;
              return answer;
            }),
        ),
      );
      return { statuses: answers.map((a) => a.status).sort(), answers, most };
    };

    // Act: a burst with Redis up; Redis killed while a burst is in flight; a burst during the
    // outage; Redis back; a burst after.
    const before = await burst(8);
    const inFlight = burst(8);
    // Every request of the burst decided in Redis: 4 running, 4 refused.
    while (running < 4 || answered < 4) await sleep(5);
    await server.stop();
    const whileHeld = await burst(4);
    const raced = await inFlight;
    const during = await burst(8);
    await server.start();
    await untilReady(leases);
    const after = await burst(8);

    // Assess
    expect(before.statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503]);
    expect(raced.statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503]);
    // The 4 admitted by Redis before the kill still run: this process is past its share of 2.
    expect(whileHeld.statuses).toEqual([503, 503, 503, 503]);
    expect(during.statuses).toEqual([200, 200, 503, 503, 503, 503, 503, 503]);
    expect(during.most).toBe(2);
    for (const { status, body } of [...whileHeld.answers, ...during.answers].filter(
      (a) => a.status !== 200,
    )) {
      expect(status).toBe(503);
      expect(body.error.code).toBe('concurrency_limited');
    }
    expect(events(lines, 'concurrency_store_down')).toHaveLength(1);
    expect(events(lines, 'concurrency_store_down')[0]).toMatchObject({
      localLimits: `group:${HELD_GROUP}=2`,
    });
    expect(events(lines, 'concurrency_store_recovered')).toHaveLength(1);
    expect(events(lines, 'concurrency_limited').at(-1)).toMatchObject({ source: 'redis', limit: 4 });
    // Shared again: the restarted (empty) Redis holds the bound of 4 for every process.
    expect(after.statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503]);
    expect(after.most).toBe(4);
  }, 30_000);

  it('refuses with 503 store_unavailable while Redis is frozen (SIGSTOP), and leaves no lease behind when it thaws', async () => {
    // Prepare: the concurrency step alone (the rate limiter's own answer to a frozen Redis is its
    // business); a bound of 2 shared by 2 instances: 1 per process while Redis does not answer.
    const client = createRedisClient({ url: server.url }, RATE_LIMIT_REDIS_OPTIONS);
    await untilReady(client);
    const admin = new Redis(server.url);
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    const routes = [heldRoute('GET', '/quick', () => async () => ({ statusCode: 200, body: '{}' }))];
    const { logger, lines } = capturingLogger();
    const { guard } = boundedGuard({
      redis: client,
      prefix: 'freeze:',
      routes,
      groups: { [HELD_GROUP]: { maxConcurrency: 2 } },
      expectedInstances: 2,
      logger,
      rateLimited: false,
    });
    const app = ecsApp(routes, guard);
    try {
      await request(app).get('/quick'); // Redis has answered once: past the start-up grace
      // Act
      process.kill(pid, 'SIGSTOP');
      const frozen = await request(app).get('/quick');
      process.kill(pid, 'SIGCONT');
      await sleep(200);
      const thawed = await request(app).get('/quick');

      // Assess: a frozen Redis may still grant the lease it was asked for, so nothing is admitted
      // on a local count: 503 after the command timeout. Once Redis runs again, the lease it
      // granted late has been undone by the release queued behind it.
      expect(frozen.status).toBe(503);
      expect(frozen.headers['retry-after']).toBe('1');
      expect(frozen.body.error.code).toBe('store_unavailable');
      expect(thawed.status).toBe(200);
      expect(events(lines, 'concurrency_store_down')).toHaveLength(1);
      expect(events(lines, 'concurrency_store_recovered')).toHaveLength(1);
      await sleep(50);
      expect(await admin.zcard(`freeze:cc:group:${HELD_GROUP}`)).toBe(0);
    } finally {
      process.kill(pid, 'SIGCONT');
      client.disconnect();
      admin.disconnect();
    }
  }, 30_000);
});
