import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeDetail } from '../../app/jobs/task-events.js';
import { sharedRedisUrl } from '../helpers/redis-server.js';
import { UNCHECKED_ACCESS } from '../servers/iam/local-iam.js';
import { LocalSqsServer } from '../servers/sqs-server.js';
import { ecsSettings } from './support/ecs-settings.js';
import { JobsHarness, waitFor } from './support/harness.js';

/**
 * The two Lambda entries exactly as deployed: modules that read configuration and build their
 * clients at import, pointed at the local ECS and SQS servers and a Redis prefix of their own.
 */

type PacerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type TaskEventsHandler = (
  event: EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>,
) => Promise<{ result: string }>;

const savedEnv = { ...process.env };
let harness: JobsHarness;
let sqs: LocalSqsServer;
let pacer: PacerHandler;
let taskEvents: TaskEventsHandler;
const events: EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>[] = [];

function context(remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now() } as Context;
}

function record(body: string, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:jobs',
    awsRegion: 'us-east-1',
  };
}

beforeAll(async () => {
  harness = await JobsHarness.start({ redisUrl: sharedRedisUrl(), applyTaskEvents: false });
  // The entries' wiring, not their permissions (test/aws runs them with the stack's roles).
  sqs = await LocalSqsServer.start({ access: UNCHECKED_ACCESS });
  harness.ecs.onTaskStateChange((event) => {
    events.push(event as unknown as EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>);
  });
  Object.assign(process.env, {
    LOG_LEVEL: 'silent',
    AWS_ENDPOINT_URL_SQS: sqs.url,
    REDIS_URL: sharedRedisUrl(),
    REDIS_KEY_PREFIX: harness.prefix,
    JOBS_QUEUE_URL: sqs.createQueue('jobs'),
    JOBS_BUCKET: 'jobs-test-bucket',
    JOBS_CLUSTER: ecsSettings.cluster,
    JOBS_TASK_DEFINITION: ecsSettings.taskDefinition,
    JOBS_SUBNETS: 'subnet-1',
  });
  pacer = (await import('../../app/jobs/pacer-lambda.js')).handler;
  taskEvents = (await import('../../app/jobs/task-events-lambda.js')).handler;
});

afterEach(() => {
  events.length = 0;
});

afterAll(async () => {
  await harness.close();
  await sqs.close();
  process.env = savedEnv;
});

describe('pacer Lambda (app/jobs/pacer-lambda.ts)', () => {
  it('acknowledges submitted and unreadable messages, and nothing else', async () => {
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');

    const response = await pacer(
      {
        Records: [
          record(JSON.stringify({ jobId: job.id, attempt: 1 }), 'm-1'),
          record('not a job', 'm-2'),
          record(JSON.stringify({ jobId: job.id, attempt: 1 }), 'm-3'),
        ],
      },
      context(),
    );

    // The duplicate (m-3) met the same client token: still one task, and nothing to retry.
    expect(response.batchItemFailures).toEqual([]);
    expect((await harness.store.get(job.id))?.status).toBe('running');
    expect(harness.tasksPerJob().get(job.id)).toBe(1);
  });

  it('reports a message back as a batch item failure when no token comes before the deadline', async () => {
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    // Empty the shared bucket (a large debt, stamped in the future) so no token comes within a second.
    await harness.redis.hset(
      `${harness.prefix}jobs:runtask-bucket`,
      'tokens',
      '-1000',
      'ts',
      '99999999999999999',
    );

    const response = await pacer(
      { Records: [record(JSON.stringify({ jobId: job.id, attempt: 1 }), 'm-4')] },
      context(4_000),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-4' }]);
    expect(harness.tasksPerJob().get(job.id)).toBeUndefined();
    await harness.redis.del(`${harness.prefix}jobs:runtask-bucket`);
  });
});

describe('task-events Lambda (app/jobs/task-events-lambda.ts)', () => {
  it('marks the job succeeded on STOPPED with exit code 0 and ignores a repeated event', async () => {
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    await pacer({ Records: [record(JSON.stringify({ jobId: job.id, attempt: 1 }), 'm-5')] }, context());
    const taskArn = (await harness.store.get(job.id))?.taskArn ?? '';

    harness.ecs.stop(taskArn, { exitCode: 0 });
    await waitFor(() => events.length > 0);
    const [event] = events;
    if (!event) throw new Error('no event');
    const first = await taskEvents(structuredClone(event));
    const repeated = await taskEvents(structuredClone(event));

    expect(first.result).toBe('succeeded');
    expect(repeated.result).toBe('ignored');
    const final = await harness.store.get(job.id);
    expect(final?.status).toBe('succeeded');
    expect(final?.finishedAt).not.toBeNull();
  });

  it('requeues on a Spot interruption through SQS with the attempt raised', async () => {
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    await pacer({ Records: [record(JSON.stringify({ jobId: job.id, attempt: 1 }), 'm-6')] }, context());
    const taskArn = (await harness.store.get(job.id))?.taskArn ?? '';

    harness.ecs.interrupt(taskArn);
    await waitFor(() => events.length > 0);
    const [event] = events;
    if (!event) throw new Error('no event');
    const result = await taskEvents(structuredClone(event));

    expect(result.result).toBe('requeued');
    const requeued = await harness.store.get(job.id);
    expect(requeued?.status).toBe('queued');
    expect(requeued?.attempt).toBe(2);
    expect(sqs.depth('jobs')).toBe(1);
  });
});
