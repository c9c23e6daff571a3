import { setTimeout as sleep } from 'node:timers/promises';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { EcsTaskRunner } from '../../app/jobs/ecs-task-runner.js';
import { parseJobMessage } from '../../app/jobs/job.js';
import { startPacerLoop } from '../../app/jobs/pacer-loop.js';
import { RedisJobStore } from '../../app/jobs/redis-job-store.js';
import { RedisTokenBucket } from '../../app/jobs/redis-token-bucket.js';
import { SqsJobQueue } from '../../app/jobs/sqs-job-queue.js';
import { createRedisClient } from '../../app/redis.js';
import { ecsSettings } from '../../test/jobs/support/ecs-settings.js';

/**
 * One draining process of the jobs benchmark. Modes:
 * - `ours`: the pacer (app/jobs): global Redis bucket, client tokens, backoff, records;
 * - `none`: no pacing, as an SQS-triggered function calling RunTask directly would: batches of
 *   10 handled at once, the SDK's default retries only; failures go back to the queue;
 * - `seed`: the seed article's fix: one consumer, one message at a time, one second of sleep
 *   before each RunTask.
 * Everything it needs comes from the environment; it prints `ready` once polling.
 */
const mode = process.env.BENCH_MODE;
const queueUrl = process.env.BENCH_QUEUE_URL ?? '';
const logger = pino({ level: 'silent' });
const sqs = new SQSClient({});
const runTaskInput = (jobId: string) => ({
  cluster: 'jobs',
  taskDefinition: 'simulation:1',
  count: 1,
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } },
  overrides: {
    containerOverrides: [{ name: 'simulation', environment: [{ name: 'JOB_ID', value: jobId }] }],
  },
});
let running = true;
process.once('SIGTERM', () => {
  running = false;
});

async function ours(): Promise<void> {
  const redis = createRedisClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  const prefix = process.env.REDIS_KEY_PREFIX ?? '';
  const ecs = new ECSClient({ maxAttempts: 1 });
  const loop = startPacerLoop({
    consumer: new SqsJobQueue(sqs, queueUrl),
    pacer: {
      jobs: new RedisJobStore(redis, prefix),
      runner: new EcsTaskRunner(ecs, ecsSettings),
      bucket: new RedisTokenBucket(redis, `${prefix}jobs:runtask-bucket`, {
        capacity: Number(process.env.RUNTASK_BUCKET_CAPACITY ?? 20),
        perSecond: Number(process.env.RUNTASK_RATE_PER_SECOND ?? 20),
      }),
      logger,
    },
    logger,
    concurrency: 4,
    waitMs: 1_000,
  });
  process.stdout.write('ready\n');
  while (running) await sleep(50);
  await loop.stop();
  redis.disconnect();
}

async function none(): Promise<void> {
  const ecs = new ECSClient({});
  process.stdout.write('ready\n');
  while (running) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    await Promise.all(
      Messages.map(async (m) => {
        const message = parseJobMessage(m.Body ?? '');
        try {
          await ecs.send(new RunTaskCommand(runTaskInput(message?.jobId ?? '?')));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        } catch {
          // A failed invocation: the message returns after its visibility timeout.
        }
      }),
    );
  }
}

async function seed(): Promise<void> {
  const ecs = new ECSClient({});
  process.stdout.write('ready\n');
  while (running) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages) {
      await sleep(1_000);
      try {
        await ecs.send(new RunTaskCommand(runTaskInput(parseJobMessage(m.Body ?? '')?.jobId ?? '?')));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      } catch {
        // as above
      }
    }
  }
}

const run = mode === 'ours' ? ours : mode === 'none' ? none : mode === 'seed' ? seed : undefined;
if (!run) {
  process.stderr.write(`BENCH_MODE must be ours, none or seed (got ${mode})\n`);
  process.exit(2);
}
run().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
