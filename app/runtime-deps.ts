import type { Logger } from 'pino';
import { assembleRuntimeDeps, type RuntimeDeps } from './assemble-deps.js';
import type { AppConfig } from './config.js';
import * as jobsRuntime from './jobs/jobs-runtime.js';
import { closeRedisClient, createRedisClient } from './redis.js';

export type { ProcessDeps, RuntimeDeps } from './assemble-deps.js';

/**
 * Builds the handlers' dependencies from configuration: Redis-backed when REDIS_URL is set,
 * in-memory otherwise (the embedded default of `npm start`), with the jobs runtime built at once.
 * Only entry points call this (the Lambda entry assembles its own, loading less at cold start).
 */
export function createRuntimeDeps(config: AppConfig, logger: Logger): RuntimeDeps {
  return assembleRuntimeDeps(config, logger, {
    redis: { createRedisClient, closeRedisClient },
    jobs: { now: jobsRuntime },
  });
}
