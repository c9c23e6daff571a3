import { afterEach, describe, expect, it } from 'vitest';
import { closeRedisClient, createRedisClient } from '../../app/redis.js';
import { PrivateRedis } from '../helpers/redis-server.js';

describe('closing a Redis client within a budget', () => {
  let redis: PrivateRedis | undefined;

  afterEach(async () => {
    await redis?.destroy();
    redis = undefined;
  });

  it('ends the client within its budget while Redis is frozen, failing what was pending', async () => {
    // Prepare: a connected client, then Redis freezes with a command in flight.
    redis = await PrivateRedis.start();
    const client = createRedisClient({ url: redis.url });
    await client.set('close-test', '1');
    redis.freeze();
    const pending = client.get('close-test').then(
      () => 'answered',
      () => 'failed',
    );
    const startedAt = Date.now();

    // Act
    await closeRedisClient(client, 600);

    // Assess: QUIT got no answer, so the socket was dropped at half the budget.
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(client.status).toBe('end');
    expect(await pending).toBe('failed');
  });

  it('quits cleanly when Redis answers', async () => {
    // Prepare
    redis = await PrivateRedis.start();
    const client = createRedisClient({ url: redis.url });
    await client.set('close-test', '1');

    // Act
    await closeRedisClient(client, 5_000);

    // Assess
    expect(client.status).toBe('end');
  });
});
