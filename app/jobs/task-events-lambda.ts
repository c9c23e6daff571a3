import type { EventBridgeEvent } from 'aws-lambda';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedisClient } from '../redis.js';
import { withSecrets } from '../secrets.js';
import { createAwsClients } from './aws-clients.js';
import { createJobStore } from './jobs-runtime.js';
import { S3ObjectStore } from './s3-object-store.js';
import { SqsJobQueue } from './sqs-job-queue.js';
import { applyTaskStopped, type EcsTaskStateChangeDetail, taskStoppedFromEcsDetail } from './task-events.js';

/**
 * The task-events Lambda: EventBridge "ECS Task State Change" (rule on source `aws.ecs`, detail
 * lastStatus STOPPED, the jobs cluster) → job record. Throwing makes EventBridge retry the event;
 * applying one twice changes nothing (see applyTaskStopped).
 */
const config = await withSecrets(loadConfig());
const problems: string[] = [];
if (!config.jobs.queueUrl) problems.push('JOBS_QUEUE_URL: required to requeue interrupted jobs');
if (!config.redis) problems.push('REDIS_URL: required (job records live there)');
if (problems.length > 0) throw new ConfigError(problems);

const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'lambda' }).child({
  role: 'task-events',
});
const redis = config.redis ? createRedisClient(config.redis) : undefined;
const aws = createAwsClients();
// Requeueing needs SQS: load the SDK during init, which runs on Lambda's boosted CPU.
aws.warm();
const deps = {
  jobs: createJobStore(redis, config.redis?.keyPrefix ?? ''),
  queue: new SqsJobQueue(aws.sqs, config.jobs.queueUrl ?? ''),
  logger,
  ...(config.jobs.bucket
    ? { objects: new S3ObjectStore(aws.s3, config.jobs.bucket.name, config.jobs.bucket.prefix) }
    : {}),
};

export const handler = async (
  event: EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>,
): Promise<{ result: string }> => {
  const stopped = taskStoppedFromEcsDetail(event.detail, config.jobs.ecs.containerName);
  if (!stopped) return { result: 'ignored' };
  return { result: await applyTaskStopped(deps, stopped) };
};
