import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedisClient } from '../redis.js';
import { withRedisPassword } from '../secrets.js';
import { createAwsClients } from './aws-clients.js';
import { EcsTaskRunner } from './ecs-task-runner.js';
import { launchProblems } from './jobs-config.js';
import { createJobStore, createTokenBucket } from './jobs-runtime.js';
import { handleSqsBatch } from './pacer-batch.js';
import { SqsJobQueue } from './sqs-job-queue.js';

/**
 * The pacer Lambda: SQS event source → global Redis token bucket → ECS RunTask.
 * Bound its concurrency with the event source mapping's maximum concurrency, not reserved
 * concurrency 1: with reserved concurrency SQS keeps polling and throttled invocations can send
 * messages to the DLQ (AWS Knowledge Center, "Lambda SQS throttling"). The bucket holds the rate.
 * Clients and configuration are built here, at init, and reused by warm invocations.
 */
const config = await withRedisPassword(loadConfig());
const problems = launchProblems(config.jobs);
if (!config.jobs.queueUrl) problems.push('JOBS_QUEUE_URL: required for the pacer');
if (!config.redis) problems.push('REDIS_URL: required for the pacer (the shared RunTask bucket lives there)');
if (problems.length > 0) throw new ConfigError(problems);

const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'lambda' }).child({
  role: 'pacer',
});
const redis = config.redis ? createRedisClient(config.redis) : undefined;
const keyPrefix = config.redis?.keyPrefix ?? '';
const aws = createAwsClients({ ecsMaxAttempts: 1 });
// Every invocation uses them: load the SDK during init, which runs on Lambda's boosted CPU.
aws.warm();
const queue = new SqsJobQueue(aws.sqs, config.jobs.queueUrl ?? '');
const deps = {
  pacer: {
    jobs: createJobStore(redis, keyPrefix),
    runner: new EcsTaskRunner(aws.ecs, config.jobs.ecs),
    bucket: createTokenBucket(config.jobs, redis, keyPrefix),
    logger,
  },
  logger,
  release: (receipt: string, delaySeconds: number) => queue.release(receipt, delaySeconds),
  concurrency: config.jobs.pacerConcurrency,
};

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  handleSqsBatch(deps, event, context);
