import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HandlerDeps } from '../handlers/types.js';
import type { AppConfig } from './config.js';
import { type LeadStore, MemoryLeadStore } from './leads/lead-store.js';
import { RedisLeadStore } from './leads/redis-lead-store.js';
import { DrainState } from './readiness.js';
import { createRedisClient } from './redis.js';

/** What an entry point builds once per process, and closes on shutdown. */
export interface RuntimeDeps extends HandlerDeps {
  readonly readiness: DrainState;
  readonly redis: Redis | undefined;
  close(): Promise<void>;
}

/**
 * Builds the handlers' dependencies from configuration: Redis-backed when REDIS_URL is set,
 * in-memory otherwise (the embedded default of `npm start`). Only entry points call this.
 */
export function createRuntimeDeps(config: AppConfig, logger: Logger): RuntimeDeps {
  const redis = config.redis ? createRedisClient(config.redis) : undefined;
  const leads: LeadStore =
    redis && config.redis ? new RedisLeadStore(redis, config.redis.keyPrefix) : new MemoryLeadStore();
  logger.info({ store: redis ? 'redis' : 'memory' }, 'dependencies ready');
  return {
    leads,
    readiness: new DrainState(),
    logger,
    clock: () => new Date(),
    redis,
    async close() {
      if (redis && redis.status !== 'end') {
        await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
}
