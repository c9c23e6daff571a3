import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../app/jobs/job.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../app/jobs/object-store.js';
import { RedisJobStore } from '../../app/jobs/redis-job-store.js';
import { SqsJobQueue } from '../../app/jobs/sqs-job-queue.js';
import { createRedisClient } from '../../app/redis.js';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';
import { LocalEcsServer } from '../servers/ecs-server.js';
import { UNCHECKED_ACCESS } from '../servers/iam/local-iam.js';
import { LocalSqsServer } from '../servers/sqs-server.js';
import { sampleInput, setAwsTestEnvironment, silentLogger, waitFor } from './support/harness.js';
import { killProcess, spawnPacerProcess } from './support/pacer-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

describe('pacer process over SQS', () => {
  it('loses no job and runs none twice when a pacer is killed mid-batch', async () => {
    // Prepare: local ECS and SQS, records in Redis, 30 jobs queued through the real SQS client.
    // About losing no job when a pacer dies, not permissions: the servers check none here.
    const ecs = await LocalEcsServer.start({ access: UNCHECKED_ACCESS });
    const sqs = await LocalSqsServer.start({ access: UNCHECKED_ACCESS });
    cleanups.push(
      () => ecs.close(),
      () => sqs.close(),
    );
    setAwsTestEnvironment({ ecs: ecs.url, sqs: sqs.url });
    const queueUrl = sqs.createQueue('jobs', { visibilityTimeoutSeconds: 2 });
    const redis: Redis = createRedisClient({ url: sharedRedisUrl() });
    const prefix = uniquePrefix('jobs');
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const sqsClient = new SQSClient({});
    cleanups.push(async () => sqsClient.destroy());
    const dir = await mkdtemp(join(tmpdir(), 'jobs-kill-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = new RedisJobStore(redis, prefix);
    const service = new JobsService({
      jobs: store,
      queue: new SqsJobQueue(sqsClient, queueUrl),
      objects: new LocalDirectoryObjectStore(dir),
      runner: { stop: async () => {} },
      maxAttempts: 3,
      logger: silentLogger,
    });
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1)
      ids.push((await service.create({ ...sampleInput, angleDeg: 5 + i }, {})).job.id);
    const env = { queueUrl, redisUrl: sharedRedisUrl(), keyPrefix: prefix, ecsUrl: ecs.url, sqsUrl: sqs.url };
    const children: ChildProcess[] = [];
    cleanups.push(async () => {
      for (const child of children) await killProcess(child);
    });

    // Act: the first pacer dies while RunTask's answer for its 8th task is on the way back.
    let killed = false;
    const first = spawnPacerProcess(env);
    children.push(first);
    ecs.beforeRunTaskResponse = async (call) => {
      if (
        !killed &&
        call.outcome === 'started' &&
        ecs.calls.filter((c) => c.outcome === 'started').length === 8
      ) {
        killed = true;
        await killProcess(first);
      }
    };
    await waitFor(() => killed, 20_000, 'the first pacer to be killed');
    const killedAt = ecs.tasks.size;
    children.push(spawnPacerProcess(env));
    await waitFor(
      async () => (await Promise.all(ids.map((id) => store.get(id)))).every((j) => j?.status === 'running'),
      30_000,
      'every job running',
    );
    await waitFor(() => sqs.depth('jobs') === 0, 10_000, 'an empty queue');

    // Assess: the orphaned task was found again through its client token, not launched again.
    const jobs = await Promise.all(ids.map((id) => store.get(id)));
    expect(killedAt).toBeGreaterThanOrEqual(8);
    expect(ecs.tasks.size).toBe(30);
    expect(ecs.calls.some((c) => c.outcome === 'idempotent')).toBe(true);
    for (const job of jobs) {
      if (!job) throw new Error('lost a job record');
      const tasks = ecs.tasksForToken(clientTokenFor(job));
      expect(tasks).toHaveLength(1);
      expect(job.taskArn).toBe(tasks[0]?.taskArn);
    }
    expect(sqs.deadLetters('jobs')).toEqual([]);
  });
});
