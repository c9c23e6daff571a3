import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisTokenBucket } from '../../app/jobs/redis-token-bucket.js';
import { MemoryTokenBucket, takeToken } from '../../app/jobs/token-bucket.js';
import { createRedisClient } from '../../app/redis.js';
import { deletePrefix, PrivateRedis, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';
import { waitFor } from './support/harness.js';

describe('MemoryTokenBucket (same arithmetic as the Redis script)', () => {
  it('never grants more than capacity + rate × length in any window, unlike a fixed window', async () => {
    // Prepare: a fake clock; callers try every 10 ms for 5 s.
    let now = 0;
    const bucket = new MemoryTokenBucket({ capacity: 20, perSecond: 20 }, () => now);
    const grants: number[] = [];

    // Act
    for (now = 0; now <= 5_000; now += 10) {
      while ((await bucket.tryTake()).granted) grants.push(now);
    }

    // Assess: every 1 s window, wherever it starts, holds at most 20 + 20 grants.
    for (let start = 0; start <= 4_000; start += 10) {
      const inWindow = grants.filter((t) => t >= start && t < start + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(40);
    }
    // And after the burst, exactly the rate: 20 per second.
    expect(grants.filter((t) => t >= 2_000 && t < 4_000)).toHaveLength(40);
  });

  it('tells how long until the next token', async () => {
    let now = 0;
    const bucket = new MemoryTokenBucket({ capacity: 1, perSecond: 20 }, () => now);
    await bucket.tryTake();

    const refused = await bucket.tryTake();
    now = 50;
    const granted = await bucket.tryTake();

    expect(refused).toEqual({ granted: false, retryAfterMs: 50 });
    expect(granted.granted).toBe(true);
  });
});

describe('RedisTokenBucket', () => {
  let redis: Redis;
  let prefix: string;

  beforeEach(() => {
    redis = createRedisClient({ url: sharedRedisUrl() });
    prefix = uniquePrefix('bucket');
  });

  afterEach(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('grants exactly its capacity to many concurrent takers from several clients', async () => {
    // Prepare: a refill so slow it cannot add a token during the test; three clients, one key.
    const clients = [
      redis,
      createRedisClient({ url: sharedRedisUrl() }),
      createRedisClient({ url: sharedRedisUrl() }),
    ];
    const buckets = clients.map(
      (c) => new RedisTokenBucket(c, `${prefix}b`, { capacity: 20, perSecond: 0.001 }),
    );

    // Act
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => buckets[i % 3]?.tryTake()));

    // Assess
    expect(results.filter((r) => r?.granted)).toHaveLength(20);
    const refused = results.find((r) => r && !r.granted);
    expect(refused && !refused.granted && refused.retryAfterMs).toBeGreaterThan(100_000);
    for (const client of clients.slice(1)) client.disconnect();
  });

  it('refills continuously from Redis server time', async () => {
    const bucket = new RedisTokenBucket(redis, `${prefix}b`, { capacity: 2, perSecond: 50 });
    await bucket.tryTake();
    await bucket.tryTake();

    // takeToken waits the time the bucket names; a 2 s deadline is 100 refills.
    const got = await takeToken(bucket, Date.now() + 2_000);

    expect(got).toBe(true);
    expect(await redis.hget(`${prefix}b`, 'ts')).toMatch(/^\d{16}$/);
  });

  it('keeps working after a Redis restart emptied its script cache (NOSCRIPT)', async () => {
    // A private server: restarting the shared one would disturb other suites.
    const server = await PrivateRedis.start();
    const client = createRedisClient({ url: server.url });
    try {
      const bucket = new RedisTokenBucket(client, 'b', { capacity: 5, perSecond: 1 });
      await bucket.tryTake();
      await server.stop();
      await server.start();
      await waitFor(() => client.status === 'ready', 10_000, 'the client to reconnect');

      const result = await bucket.tryTake();

      expect(result.granted).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('fails closed when Redis cannot be reached: an error, never a token', async () => {
    const unreachable = createRedisClient(
      { url: 'redis://127.0.0.1:1' },
      { maxRetriesPerRequest: 0, retryStrategy: () => null },
    );
    const bucket = new RedisTokenBucket(unreachable, `${prefix}b`, { capacity: 5, perSecond: 1 });

    await expect(bucket.tryTake()).rejects.toThrow();
    unreachable.disconnect();
  });
});
