import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import { freePort, PrivateRedis } from '../helpers/redis-server.js';
import { capturingLogger, ecsApp, guardFor, testSettings } from './support.js';

async function untilReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`Redis client still ${client.status}`);
    await sleep(20);
  }
}

function events(lines: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return lines.filter((line) => line.event === name);
}

/** Faults on a private redis-server: the app keeps answering and counting returns by itself. */
describe('rate limiting when Redis fails', () => {
  let server: PrivateRedis;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await PrivateRedis.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** The client exactly as the entry points build it. */
  async function rateLimitClient(url = server.url, password?: string): Promise<Redis> {
    const client = createRedisClient({ url, ...(password ? { password } : {}) }, RATE_LIMIT_REDIS_OPTIONS);
    clients.push(client);
    return client;
  }

  it('serves from the insurance limiter while Redis is down, logs once, and returns to Redis by itself', async () => {
    // Prepare: 20 per window shared; two instances expected, so 10 each while Redis is down.
    const redis = await rateLimitClient();
    await untilReady(redis);
    const { logger, lines } = capturingLogger();
    const settings = testSettings({ standard: { anonymous: 20 }, expectedInstances: 2 });
    const app = ecsApp(guardFor({ redis, prefix: 'fault:', settings, logger }));
    const get = (ip: string) => request(app).get('/items/1').set('x-forwarded-for', ip);

    // Act: a stream of requests, Redis killed in the middle of it.
    const before = [];
    for (let i = 0; i < 5; i += 1) before.push(await get('198.51.100.40'));
    const stopping = server.stop();
    const during = await Promise.all(Array.from({ length: 10 }, () => get('198.51.100.40')));
    await stopping;
    for (let i = 0; i < 20; i += 1) during.push(await get('198.51.100.40'));
    const otherDuring = [];
    for (let i = 0; i < 12; i += 1) otherDuring.push(await get('198.51.100.41'));

    await server.start();
    await untilReady(redis);
    // During an outage only an occasional probe asks Redis; the next one finds it back.
    let after = await get('198.51.100.40');
    for (
      let i = 0;
      i < 20 && after.headers['ratelimit-policy'] !== '"standard-anonymous";q=20;w=60';
      i += 1
    ) {
      await sleep(100);
      after = await get('198.51.100.40');
    }

    // Assess
    expect(before.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['19', '18', '17', '16', '15']);
    const outage = [...during, ...otherDuring];
    expect(outage.filter((a) => a.status >= 500)).toEqual([]);
    expect(new Set(outage.map((a) => a.status))).toEqual(new Set([200, 429]));
    // The requests that raced the kill may still have been counted by Redis; the rest were held to
    // this instance's share: never more than 10 per client from the insurance limiter.
    const admittedDuring = during.filter((a) => a.status === 200).length;
    expect(admittedDuring).toBeGreaterThanOrEqual(10);
    expect(admittedDuring).toBeLessThanOrEqual(20);
    expect(during.slice(-10).every((a) => a.status === 429)).toBe(true);
    expect(otherDuring.map((a) => a.status)).toEqual([...Array(10).fill(200), 429, 429]);
    expect(events(lines, 'rate_limit_store_down')).toHaveLength(1);
    expect(events(lines, 'rate_limit_store_recovered')).toHaveLength(1);
    // While it applied, the headers stated the insurance share (20 ÷ 2 instances).
    expect(during.at(-1)?.headers['ratelimit-policy']).toBe('"standard-anonymous";q=10;w=60');
    // Counting is in Redis again: the restarted (empty) Redis holds the new count.
    expect(after.status).toBe(200);
    const counted = Number(await redis.get('fault:rl:standard-anonymous:ip:198.51.100.40'));
    expect(counted).toBeGreaterThanOrEqual(1);
    expect(after.headers['x-ratelimit-remaining']).toBe(String(20 - counted));
  });

  it('refuses with 503 while Redis is down when a class fails closed, other classes stay open', async () => {
    const redis = await rateLimitClient();
    await untilReady(redis);
    const settings = testSettings({ standard: { onStoreFailure: 'closed' } });
    const app = ecsApp(guardFor({ redis, prefix: 'closed:', settings }));
    const beforeOutage = await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.42');
    await server.stop();

    const read = await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.42');
    const job = await request(app).post('/runs').set('x-forwarded-for', '198.51.100.42').send({});
    const health = await request(app).get('/healthz');

    expect(beforeOutage.status).toBe(200);
    expect(read.status).toBe(503);
    expect(read.headers['retry-after']).toBe('1');
    expect(read.body.error.code).toBe('store_unavailable');
    expect(job.status).toBe(200);
    expect(health.status).toBe(200);
  });

  it('never makes a request wait for a Redis that is not there (a cold start)', async () => {
    const redis = await rateLimitClient(`redis://127.0.0.1:${await freePort()}`);
    // Even a class that fails closed counts locally until a fresh client has had time to connect.
    const settings = testSettings({ standard: { onStoreFailure: 'closed' } });
    const app = ecsApp(guardFor({ redis, prefix: 'cold:', settings }));

    const started = performance.now();
    const answer = await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.43');
    const elapsedMs = performance.now() - started;

    expect(answer.status).toBe(200);
    expect(answer.headers['x-ratelimit-remaining']).toBe('5');
    // Well under the 1 s connect timeout: the request did not wait for a connection.
    expect(elapsedMs).toBeLessThan(500);
  });

  it('authenticates to Redis with the configured password (ElastiCache AUTH token)', async () => {
    const admin = new Redis(server.url);
    clients.push(admin);
    await admin.config('SET', 'requirepass', 'auth-token-for-test');
    try {
      const withPassword = await rateLimitClient(server.url, 'auth-token-for-test');
      const withoutPassword = await rateLimitClient(server.url);
      await untilReady(withPassword);
      const good = ecsApp(guardFor({ redis: withPassword, prefix: 'auth:' }));
      const bad = ecsApp(guardFor({ redis: withoutPassword, prefix: 'noauth:' }));

      const counted = await request(good).get('/items/1').set('x-forwarded-for', '198.51.100.44');
      const uncounted = await request(bad).get('/items/1').set('x-forwarded-for', '198.51.100.44');

      expect(counted.status).toBe(200);
      expect(await withPassword.get('auth:rl:standard-anonymous:ip:198.51.100.44')).toBe('1');
      // Without the token nothing reaches Redis, and the API still answers from the insurance limiter.
      expect(uncounted.status).toBe(200);
      expect(await withPassword.exists('noauth:rl:standard-anonymous:ip:198.51.100.44')).toBe(0);
    } finally {
      const root = new Redis(server.url, { password: 'auth-token-for-test' });
      await root.config('SET', 'requirepass', '');
      root.disconnect();
    }
  });

  it('takes rediss:// URLs (TLS, as ElastiCache in-transit encryption needs) with the password', () => {
    const client = createRedisClient(
      { url: `rediss://127.0.0.1:${server.port}`, password: 'token' },
      RATE_LIMIT_REDIS_OPTIONS,
    );
    clients.push(client);
    expect(client.options.tls).toBeDefined();
    expect(client.options.password).toBe('token');
    expect(client.options.enableOfflineQueue).toBe(false);
  });
});
