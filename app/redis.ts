import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnection {
  readonly url: string;
  readonly password?: string;
}

/**
 * An ioredis client for `redis://` or `rediss://` (ElastiCache with in-transit encryption; the
 * AUTH token comes from a secret as REDIS_PASSWORD). It starts connecting at once but nothing
 * waits for it, so a Lambda cold start never blocks on Redis.
 */
export function createRedisClient(connection: RedisConnection, overrides: RedisOptions = {}): Redis {
  const client = new Redis(connection.url, {
    ...(connection.password ? { password: connection.password } : {}),
    connectTimeout: 2_000,
    maxRetriesPerRequest: 2,
    // Reconnect forever with a capped backoff: Redis coming back must be noticed without a restart.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    lazyConnect: true,
    ...overrides,
  });
  // Errors surface on the commands that fail; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  client.connect().catch(() => {});
  return client;
}
