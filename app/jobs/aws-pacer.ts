import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AppConfig, ConfigError } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedisClient } from '../redis.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { EcsTaskRunner } from './ecs-task-runner.js';
import { launchProblems } from './jobs-config.js';
import { createJobStore, createTokenBucket } from './jobs-runtime.js';
import type { PacerDeps } from './pacer.js';
import { SqsJobQueue } from './sqs-job-queue.js';

/** What a pacer on AWS works with, whichever host runs it (the SQS Lambda or a process). */
export interface AwsPacer {
  readonly pacer: PacerDeps;
  readonly queue: SqsJobQueue;
  readonly logger: Logger;
  readonly redis: Redis;
  readonly aws: AwsClients & { warm(): void; destroy(): void };
}

/**
 * Checks the configuration a pacer needs and builds its parts: the SQS queue, the job records and
 * the global RunTask token bucket in Redis, and an ECS client that never retries by itself (a
 * RunTask retried inside the SDK would skip the bucket). Stops with every missing variable named.
 */
export function createAwsPacer(config: AppConfig, runtime: 'lambda' | 'ecs'): AwsPacer {
  const problems = launchProblems(config.jobs);
  if (!config.jobs.queueUrl) problems.push('JOBS_QUEUE_URL: required for a pacer');
  if (!config.redis) problems.push('REDIS_URL: required for a pacer (the shared RunTask bucket lives there)');
  if (problems.length > 0 || !config.redis || !config.jobs.queueUrl) throw new ConfigError(problems);

  const logger = createLogger({ level: config.logLevel, env: config.env, runtime }).child({ role: 'pacer' });
  const redis = createRedisClient(config.redis);
  const keyPrefix = config.redis.keyPrefix;
  const aws = createAwsClients({ ecsMaxAttempts: 1 });
  return {
    pacer: {
      jobs: createJobStore(redis, keyPrefix),
      runner: new EcsTaskRunner(aws.ecs, config.jobs.ecs),
      bucket: createTokenBucket(config.jobs, redis, keyPrefix),
      logger,
    },
    queue: new SqsJobQueue(aws.sqs, config.jobs.queueUrl),
    logger,
    redis,
    aws,
  };
}
