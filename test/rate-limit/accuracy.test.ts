import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';
import { runAccuracy } from './accuracy-run.js';

describe('accuracy across processes', () => {
  let redis: Redis;
  const prefix = uniquePrefix('rl-accuracy');

  beforeAll(async () => {
    redis = new Redis(sharedRedisUrl());
    await redis.ping();
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('admits exactly the limit when 4 processes send 500 concurrent requests each on one key', async () => {
    // Act
    const result = await runAccuracy({
      redisUrl: sharedRedisUrl(),
      prefix,
      processes: 4,
      requestsEach: 500,
      limit: 100,
    });
    // Assess
    expect(result).toMatchObject({ admitted: 100, refused: 1_900, failed: 0 });
  }, 60_000);
});
