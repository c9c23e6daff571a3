import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { withinBudget } from '../within-budget.js';
import type { AwsClients } from './aws-clients.js';
import { createDurableEmbedded } from './durable-embedded-runtime.js';
import { EcsTaskRunner } from './ecs-task-runner.js';
import { InProcessQueue, type JobQueue } from './job-queue.js';
import { type JobStore, MemoryJobStore } from './job-store.js';
import type { JobsConfig } from './jobs-config.js';
import { JobsService } from './jobs-service.js';
import { LocalTaskRunner, localProgramCommand } from './local-task-runner.js';
import { LocalDirectoryObjectStore, type ObjectStore } from './object-store.js';
import { type PacerLoop, startPacerLoop } from './pacer-loop.js';
import { RedisJobStore } from './redis-job-store.js';
import { RedisTokenBucket } from './redis-token-bucket.js';
import { S3ObjectStore } from './s3-object-store.js';
import { SqsJobQueue } from './sqs-job-queue.js';
import { applyTaskStopped } from './task-events.js';
import type { TaskRunner } from './task-runner.js';
import { MemoryTokenBucket, type TokenBucket } from './token-bucket.js';

// The entry points take the AWS clients' lifecycle from this module with the runtime itself, so
// a Lambda cold start that never runs jobs loads neither (app/assemble-deps.ts).
export { createAwsClients, destroyAwsClients } from './aws-clients.js';

export interface JobsRuntime {
  readonly service: JobsService;
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly objects: ObjectStore;
  readonly runner: TaskRunner;
  readonly bucket: TokenBucket;
  /** Draining started: the embedded pacer launches nothing more (nothing to do on AWS). */
  stopLaunching(): void;
  /**
   * Stops the embedded pacer and its simulations, and waits (up to `budgetMs`) until their stops
   * are recorded, so it must run before the Redis clients close (nothing to stop on AWS).
   */
  close(budgetMs?: number): Promise<void>;
}

export interface JobsRuntimeDeps {
  readonly redis: Redis | undefined;
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Required when `config.mode` is `aws`. */
  readonly aws?: AwsClients;
  /**
   * Embedded mode with Redis: a connection for the durable queue's worker (blocking reads, so
   * `maxRetriesPerRequest: null`). With it, queued jobs survive a restart (durable-queue.ts).
   */
  readonly workerRedis?: Redis;
}

/** The Redis key of the global RunTask bucket; every pacer sharing it shares the limit. */
export function runTaskBucketKey(keyPrefix: string): string {
  return `${keyPrefix}jobs:runtask-bucket`;
}

export function createJobStore(redis: Redis | undefined, keyPrefix: string): JobStore {
  return redis ? new RedisJobStore(redis, keyPrefix) : new MemoryJobStore();
}

export function createTokenBucket(
  config: JobsConfig,
  redis: Redis | undefined,
  keyPrefix: string,
): TokenBucket {
  return redis
    ? new RedisTokenBucket(redis, runTaskBucketKey(keyPrefix), config.runTaskBucket)
    : new MemoryTokenBucket(config.runTaskBucket);
}

/**
 * The jobs parts for an API process. On AWS: SQS, S3, ECS (StopTask only; the pacer Lambda
 * launches). Embedded: an in-process queue and a pacer loop in this process launching child
 * processes, so `npm start` runs simulations end to end.
 */
export function createJobsRuntime(config: JobsConfig, deps: JobsRuntimeDeps): JobsRuntime {
  const store = createJobStore(deps.redis, deps.keyPrefix);
  const bucket = createTokenBucket(config, deps.redis, deps.keyPrefix);
  const logger = deps.logger.child({ module: 'jobs' });
  const serviceFor = (parts: Pick<JobsRuntime, 'queue' | 'objects' | 'runner'>) =>
    new JobsService({ jobs: store, ...parts, maxAttempts: config.maxAttempts, logger });

  if (config.mode === 'aws') {
    if (!deps.aws || !config.queueUrl || !config.bucket)
      throw new Error('AWS jobs mode needs AWS clients, a queue and a bucket');
    const parts = {
      queue: new SqsJobQueue(deps.aws.sqs, config.queueUrl),
      objects: new S3ObjectStore(deps.aws.s3, config.bucket.name, config.bucket.prefix),
      runner: new EcsTaskRunner(deps.aws.ecs, { ...config.ecs, tags: [] }),
    };
    return {
      service: serviceFor(parts),
      store,
      ...parts,
      bucket,
      stopLaunching: () => {},
      close: async () => {},
    };
  }

  if (deps.redis && deps.workerRedis) {
    const redisDeps = { ...deps, redis: deps.redis, workerRedis: deps.workerRedis };
    return createDurableEmbedded(config, redisDeps, { store, bucket, logger, serviceFor });
  }

  const queue = new InProcessQueue();
  const objects = new LocalDirectoryObjectStore(config.dataDir);
  const runner = new LocalTaskRunner({
    logger,
    maxRunning: config.localMaxRunning,
    ...localProgramCommand(config.localProgram),
    onStopped: (stopped) => applyTaskStopped({ jobs: store, queue, logger, objects }, stopped).then(() => {}),
  });
  const parts = { queue, objects, runner };
  const launching = new AbortController();
  const loop: PacerLoop = startPacerLoop({
    consumer: queue,
    pacer: { jobs: store, runner, bucket, logger, signal: launching.signal },
    logger,
    concurrency: config.pacerConcurrency,
  });
  let loopStopped: Promise<void> | undefined;
  const stopLaunching = () => {
    launching.abort();
    runner.stopLaunching();
    // Receiving stops too, or messages put back unlaunched would come straight back.
    loopStopped ??= loop.stop();
  };
  return {
    service: serviceFor(parts),
    store,
    ...parts,
    bucket,
    stopLaunching,
    async close(budgetMs = 10_000) {
      stopLaunching();
      // Memory records and an in-process queue end with the process: jobs are lost by design here.
      queue.close();
      await withinBudget(loopStopped ?? loop.stop(), budgetMs / 2);
      await runner.close(budgetMs / 2);
    },
  };
}
