import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedisClient } from '../redis.js';
import { createAwsClients, destroyAwsClients } from './aws-clients.js';
import { EcsTaskRunner } from './ecs-task-runner.js';
import { launchProblems } from './jobs-config.js';
import { createJobStore, createTokenBucket } from './jobs-runtime.js';
import { startPacerLoop } from './pacer-loop.js';
import { SqsJobQueue } from './sqs-job-queue.js';

/**
 * A pacer as a long-running process (an ECS service, or any host): polls SQS and submits through
 * the same global Redis bucket as the pacer Lambda, so both can run at once and still share the
 * limit. Benchmarks and fault tests run several of these against local servers.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const problems = launchProblems(config.jobs);
  if (!config.jobs.queueUrl) problems.push('JOBS_QUEUE_URL: required for a pacer process');
  if (!config.redis) problems.push('REDIS_URL: required for a pacer process (the shared bucket lives there)');
  if (problems.length > 0) throw new ConfigError(problems);
  const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'ecs' }).child({
    role: 'pacer',
  });
  const redis = config.redis ? createRedisClient(config.redis) : undefined;
  const keyPrefix = config.redis?.keyPrefix ?? '';
  const aws = createAwsClients({ ecsMaxAttempts: 1 });
  const queue = new SqsJobQueue(aws.sqs, config.jobs.queueUrl ?? '');
  const loop = startPacerLoop({
    consumer: queue,
    pacer: {
      jobs: createJobStore(redis, keyPrefix),
      runner: new EcsTaskRunner(aws.ecs, config.jobs.ecs),
      bucket: createTokenBucket(config.jobs, redis, keyPrefix),
      logger,
    },
    logger,
    concurrency: config.jobs.pacerConcurrency,
  });
  logger.info({ concurrency: config.jobs.pacerConcurrency }, 'pacer: started');
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'pacer: stopping');
    loop
      .stop()
      .then(async () => {
        await redis?.quit().catch(() => redis.disconnect());
        destroyAwsClients(aws);
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
