import type { RedisOptions } from 'ioredis';

/**
 * ioredis options for the rate limiter's own connection (entry points create it, once per
 * process). A request must never wait on Redis: with no offline queue a command fails at once
 * while disconnected, a short command timeout covers a Redis that hangs, and the request goes to
 * the insurance limiter instead. The lead store keeps its own client, which may queue.
 */
export const RATE_LIMIT_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  connectTimeout: 1_000,
  commandTimeout: 250,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
};
