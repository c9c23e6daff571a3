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
import type { AwsClients } from './jobs/aws-clients.js';
import type * as JobsRuntimeModule from './jobs/jobs-runtime.js';
import type { JobsRuntime } from './jobs/jobs-runtime.js';
import type { SimulationJobs } from './jobs/jobs-service.js';
import { type LeadStore, MemoryLeadStore } from './leads/lead-store.js';
import { RedisLeadStore } from './leads/redis-lead-store.js';
import { DrainState } from './readiness.js';
import type { closeRedisClient, createRedisClient } from './redis.js';
import { lambdaGroups, routes } from './routes.js';

/**
 * How an entry point's dependencies are put together (app/runtime-deps.ts for the ECS server and
 * tests, app/lambda.ts for Lambda). The modules that bring heavy packages (app/redis.ts brings
 * ioredis, app/jobs/jobs-runtime.ts BullMQ and the jobs machinery) come in as arguments, so this
 * file imports neither and a Lambda cold start loads them only when it needs them.
 */

/** What every entry point builds once per process, and closes on shutdown. */
export interface ProcessDeps extends HandlerDeps {
  readonly readiness: DrainState;
  readonly redis: Redis | undefined;
  /** The rate limiter's own connection (no offline queue, see adapters/rate-limit/store-client.ts). */
  readonly rateLimitRedis: Redis | undefined;
  /** Steps before every handler, for `createApp(deps, { guards })` on both runtimes. */
  readonly guards: readonly RequestGuard[];
  /** Closes jobs, then clients, within `budgetMs` whatever Redis does (frozen, gone). */
  close(budgetMs?: number): Promise<void>;
}

/** With the jobs runtime built at once (the ECS server drives its embedded pacer). */
export interface RuntimeDeps extends ProcessDeps {
  /** Simulation jobs; embedded mode runs its pacer and simulations in this process. */
  readonly jobsRuntime: JobsRuntime;
}

export interface RuntimeModules {
  /** app/redis.ts: required when Redis is configured. */
  readonly redis?: {
    readonly createRedisClient: typeof createRedisClient;
    readonly closeRedisClient: typeof closeRedisClient;
  };
  /**
   * app/jobs/jobs-runtime.ts: `now`, or loaded and called on the first call of a simulation route
   * (`onFirstUse`), so a process that never serves one never builds it.
   */
  readonly jobs: { readonly now: JobsModule } | { readonly onFirstUse: () => Promise<JobsModule> };
}

/** What this file uses of app/jobs/jobs-runtime.ts, which also brings the AWS clients. */
type JobsModule = Pick<
  typeof JobsRuntimeModule,
  'createJobsRuntime' | 'createAwsClients' | 'destroyAwsClients'
>;

interface StartedJobs {
  readonly runtime: JobsRuntime;
  readonly aws: AwsClients | undefined;
  readonly destroyAwsClients: JobsModule['destroyAwsClients'];
  readonly workerRedis: Redis | undefined;
}

/**
 * Builds the handlers' dependencies from configuration: Redis-backed when REDIS_URL is set,
 * in-memory otherwise (the embedded default of `npm start`). Only entry points call this.
 */
export function assembleRuntimeDeps(
  config: AppConfig,
  logger: Logger,
  modules: RuntimeModules & { readonly jobs: { readonly now: JobsModule } },
): RuntimeDeps;
export function assembleRuntimeDeps(config: AppConfig, logger: Logger, modules: RuntimeModules): ProcessDeps;
export function assembleRuntimeDeps(
  config: AppConfig,
  logger: Logger,
  modules: RuntimeModules,
): ProcessDeps | RuntimeDeps {
  // Group names were checked with the rest of the configuration; route ids need the route table.
  const unknownRoutes = unknownConcurrencyNames(config.maxConcurrency, lambdaGroups, routes);
  if (unknownRoutes.length > 0) throw new ConfigError(unknownRoutes.map((p) => `MAX_CONCURRENCY: ${p}`));
  const clients = modules.redis;
  if (config.redis && !clients) throw new Error('Redis is configured but its client module was not given');
  const redis = config.redis && clients ? clients.createRedisClient(config.redis) : undefined;
  const rateLimitRedis =
    config.redis && clients ? clients.createRedisClient(config.redis, RATE_LIMIT_REDIS_OPTIONS) : undefined;
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

  const startJobs = (jobsModule: JobsModule): StartedJobs => {
    const aws = config.jobs.mode === 'aws' ? jobsModule.createAwsClients() : undefined;
    // BullMQ's worker waits for messages with blocking reads (up to a second, its drainDelay):
    // no retry limit and no command timeout may cut them, whatever the store clients use.
    const workerRedis =
      config.redis && clients && config.jobs.mode === 'embedded'
        ? clients.createRedisClient(config.redis, { maxRetriesPerRequest: null, commandTimeout: undefined })
        : undefined;
    const runtime = jobsModule.createJobsRuntime(config.jobs, {
      redis,
      keyPrefix: config.redis?.keyPrefix ?? '',
      logger,
      ...(aws ? { aws } : {}),
      ...(workerRedis ? { workerRedis } : {}),
    });
    return { runtime, aws, workerRedis, destroyAwsClients: jobsModule.destroyAwsClients };
  };
  let started: StartedJobs | undefined;
  let starting: Promise<StartedJobs> | undefined;
  let jobs: SimulationJobs;
  if ('now' in modules.jobs) {
    started = startJobs(modules.jobs.now);
    jobs = started.runtime.service;
  } else {
    const load = modules.jobs.onFirstUse;
    const service = async (): Promise<SimulationJobs> => {
      starting ??= load().then(
        (jobsModule) => {
          started = startJobs(jobsModule);
          return started;
        },
        (error: unknown) => {
          starting = undefined;
          throw error;
        },
      );
      return (await starting).runtime.service;
    };
    jobs = {
      create: async (input, options) => (await service()).create(input, options),
      get: async (jobId) => (await service()).get(jobId),
      cancel: async (jobId) => (await service()).cancel(jobId),
      result: async (jobId) => (await service()).result(jobId),
    };
  }
  logger.info({ store: redis ? 'redis' : 'memory' }, 'dependencies ready');
  const deps: ProcessDeps = {
    leads,
    readiness: new DrainState(),
    logger,
    clock: () => new Date(),
    redis,
    rateLimitRedis,
    guards: [withConcurrencyBounds(rateLimit, concurrency)],
    jobs,
    async close(budgetMs = 5_000) {
      const endAt = Date.now() + budgetMs;
      // A jobs runtime still being built is closed once it is.
      const running = started ?? (await starting?.catch(() => undefined));
      // Before Redis: the embedded pacer and simulations still write job records as they stop.
      // Jobs get most of the budget; the clients' close is itself bounded by what is left.
      if (running) await running.runtime.close(budgetMs * 0.7);
      if (running?.aws) running.destroyAwsClients(running.aws);
      const open = [redis, rateLimitRedis, running?.workerRedis].filter((c): c is Redis => c !== undefined);
      const left = Math.max(100, endAt - Date.now());
      if (clients) await Promise.all(open.map((client) => clients.closeRedisClient(client, left)));
    },
  };
  return started && 'now' in modules.jobs ? { ...deps, jobsRuntime: started.runtime } : deps;
}
