import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { resolveConcurrencyBounds, unknownConcurrencyNames } from '../adapters/concurrency/bounds.js';
import { ConcurrencyGate } from '../adapters/concurrency/gate.js';
import { withConcurrencyBounds } from '../adapters/concurrency/guard.js';
import type { RequestGuard } from '../adapters/lambda-to-express.js';
import { createRateLimitGuard } from '../adapters/rate-limit/guard.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../adapters/rate-limit/store-client.js';
import type { HandlerDeps } from '../handlers/types.js';
import { type AppConfig, ConfigError } from './config.js';
import { createAwsClients, destroyAwsClients } from './jobs/aws-clients.js';
import { createJobsRuntime, type JobsRuntime } from './jobs/jobs-runtime.js';
import { type LeadStore, MemoryLeadStore } from './leads/lead-store.js';
import { RedisLeadStore } from './leads/redis-lead-store.js';
import { DrainState } from './readiness.js';
import { closeRedisClient, createRedisClient } from './redis.js';
import { lambdaGroups, routes } from './routes.js';

/** What an entry point builds once per process, and closes on shutdown. */
export interface RuntimeDeps extends HandlerDeps {
  readonly readiness: DrainState;
  readonly redis: Redis | undefined;
  /** The rate limiter's own connection (no offline queue, see adapters/rate-limit/store-client.ts). */
  readonly rateLimitRedis: Redis | undefined;
  /** Steps before every handler, for `createApp(deps, { guards })` on both runtimes. */
  readonly guards: readonly RequestGuard[];
  /** Simulation jobs; embedded mode runs its pacer and simulations in this process. */
  readonly jobsRuntime: JobsRuntime;
  /** Closes jobs, then clients, within `budgetMs` whatever Redis does (frozen, gone). */
  close(budgetMs?: number): Promise<void>;
}

/**
 * Builds the handlers' dependencies from configuration: Redis-backed when REDIS_URL is set,
 * in-memory otherwise (the embedded default of `npm start`). Only entry points call this.
 */
export function createRuntimeDeps(config: AppConfig, logger: Logger): RuntimeDeps {
  // Group names were checked with the rest of the configuration; route ids need the route table.
  const unknownRoutes = unknownConcurrencyNames(config.maxConcurrency, lambdaGroups, routes);
  if (unknownRoutes.length > 0) throw new ConfigError(unknownRoutes.map((p) => `MAX_CONCURRENCY: ${p}`));
  const redis = config.redis ? createRedisClient(config.redis) : undefined;
  const rateLimitRedis = config.redis ? createRedisClient(config.redis, RATE_LIMIT_REDIS_OPTIONS) : undefined;
  const rateLimit = createRateLimitGuard({
    settings: config.rateLimit,
    redis: rateLimitRedis,
    keyPrefix: config.redis?.keyPrefix ?? '',
    logger,
  });
  // Shares the rate limiter's connection: its lease command joins the count's round trip.
  const concurrency = new ConcurrencyGate({
    bounds: resolveConcurrencyBounds(routes, lambdaGroups, config.maxConcurrency),
    redis: rateLimitRedis,
    keyPrefix: config.redis?.keyPrefix ?? '',
    expectedInstances: config.rateLimit.expectedInstances,
    logger,
  });
  const leads: LeadStore =
    redis && config.redis ? new RedisLeadStore(redis, config.redis.keyPrefix) : new MemoryLeadStore();
  const aws = config.jobs.mode === 'aws' ? createAwsClients() : undefined;
  // BullMQ's worker waits for messages with blocking reads (up to a second, its drainDelay):
  // no retry limit and no command timeout may cut them, whatever the store clients use.
  const workerRedis =
    config.redis && config.jobs.mode === 'embedded'
      ? createRedisClient(config.redis, { maxRetriesPerRequest: null, commandTimeout: undefined })
      : undefined;
  const jobsRuntime = createJobsRuntime(config.jobs, {
    redis,
    keyPrefix: config.redis?.keyPrefix ?? '',
    logger,
    ...(aws ? { aws } : {}),
    ...(workerRedis ? { workerRedis } : {}),
  });
  logger.info({ store: redis ? 'redis' : 'memory' }, 'dependencies ready');
  return {
    leads,
    readiness: new DrainState(),
    logger,
    clock: () => new Date(),
    redis,
    rateLimitRedis,
    guards: [withConcurrencyBounds(rateLimit, concurrency)],
    jobs: jobsRuntime.service,
    jobsRuntime,
    async close(budgetMs = 5_000) {
      const endAt = Date.now() + budgetMs;
      // Before Redis: the embedded pacer and simulations still write job records as they stop.
      // Jobs get most of the budget; the clients' close is itself bounded by what is left.
      await jobsRuntime.close(budgetMs * 0.7);
      if (aws) destroyAwsClients(aws);
      const clients = [redis, rateLimitRedis, workerRedis].filter((c): c is Redis => c !== undefined);
      const left = Math.max(100, endAt - Date.now());
      await Promise.all(clients.map((client) => closeRedisClient(client, left)));
    },
  };
}
