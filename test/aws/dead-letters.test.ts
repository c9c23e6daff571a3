import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../app/jobs/job.js';
import { hasRedisServerBinary, PrivateRedis } from '../helpers/redis-server.js';
import { sampleInput, waitFor } from '../jobs/support/harness.js';
import { LocalAws } from './support/local-aws.js';

/**
 * What happens to a job whose queue message keeps failing while Redis is away, with the queue's
 * own redrive policy from the synthesized stack (maxReceiveCount, dead-letter queue) enforced by
 * the local SQS, the pacer's redelivery delays, and the dead-letter reader. SQS time runs 100
 * times faster here, so the minutes a redrive policy spans take seconds; Redis is a private,
 * durable one that the test kills and restarts (a failover: the primary gone, then back).
 */

const TIME_SCALE = 0.01;
let aws: LocalAws;
let redis: PrivateRedis;

interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  readonly failureReason: string | null;
}

beforeAll(async () => {
  if (!hasRedisServerBinary()) throw new Error('redis-server is required for this suite');
  redis = await PrivateRedis.start({ durable: true });
  aws = await LocalAws.start({ redisUrl: redis.url, sqsTimeScale: TIME_SCALE });
  await Promise.all([aws.startApi(), aws.startFunctions()]);
  // The dead-letter reader polls from the start; the pacer only when a test lets it.
  aws.startEventSources((name) => name.endsWith('-job-dead-letters'));
}, 180_000);

afterAll(async () => {
  await redis?.start();
  await aws?.stop();
  await redis?.destroy();
});

async function post(): Promise<JobView> {
  const response = await fetch(`${aws.apiUrl}/simulations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sampleInput),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as JobView;
}

async function get(id: string): Promise<JobView> {
  return (await (await fetch(`${aws.apiUrl}/simulations/${id}`)).json()) as JobView;
}

async function untilStatus(id: string, status: JobStatus, timeoutMs: number): Promise<JobView> {
  let last: JobView | undefined;
  await waitFor(
    async () => {
      last = await get(id);
      if (last.status === status) return true;
      await sleep(150);
      return false;
    },
    timeoutMs,
    `job ${id} to be ${status}`,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last: ${JSON.stringify(last)}`);
  });
  return last as JobView;
}

const isPacer = (name: string) => name.endsWith('-pacer');

describe('a job whose queue message keeps failing (redrive policy enforced)', () => {
  // The same delays that ride out a failover give up on a job that cannot be submitted at all.
  it('recovers from a Redis failover: redelivered while Redis is away, launched once it is back', async () => {
    // Prepare: the job is queued; then Redis goes away before the pacer sees the message.
    const job = await post();
    await redis.stop();

    // Act: the pacer gets the message while Redis is down, for 30 s of queue time.
    aws.startEventSources(isPacer);
    await sleep(30_000 * TIME_SCALE);
    await redis.start();
    const done = await untilStatus(job.id, 'succeeded', 40_000);

    // Assess: delivered more than once, never dead-lettered.
    expect(done.status).toBe('succeeded');
    expect(aws.sqs.deadLetters(aws.queueNamed('-jobs'))).toEqual([]);
    expect(aws.iam.denied()).toEqual([]);
    await aws.stopEventSources(isPacer);
  }, 60_000);

  it('marks the job failed, with the reason, once every delivery failed and it was dead-lettered', async () => {
    // Prepare: ECS answers every RunTask with a server error, a failure the pacer retries.
    aws.ecs.rejectRunTask = { type: 'ServerException', message: 'Service unavailable' };
    const job = await post();

    // Act: the pacer tries, gives the message back with growing delays, until the redrive policy
    // moves it to the dead-letter queue, where the reader finds the job still waiting.
    aws.startEventSources(isPacer);
    const failed = await untilStatus(job.id, 'failed', 45_000);

    // Assess
    expect(failed.failureReason).toMatch(/dead-lettered/);
    const deadLetterQueue = aws.queueNamed('-jobs-dlq');
    await waitFor(() => aws.sqs.depth(deadLetterQueue) === 0, 10_000, 'the dead letter to be deleted');
    expect(aws.sqs.depth(aws.queueNamed('-jobs'))).toBe(0);
    expect(aws.sqs.deadLetters(aws.queueNamed('-jobs'))).toHaveLength(1);
    expect(aws.iam.denied()).toEqual([]);
  }, 90_000);
});
