import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../../app/jobs/job.js';
import { InProcessQueue } from '../../app/jobs/job-queue.js';
import { reconcileJobs } from '../../app/jobs/reconcile.js';
import { RedisJobStore } from '../../app/jobs/redis-job-store.js';
import { RunnerLease } from '../../app/jobs/runner-lease.js';
import { useSharedRedis } from '../helpers/redis-server.js';
import { silentLogger } from './support/harness.js';

function job(status: JobStatus, taskArn: string | null, attempt = 1): Job {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    status,
    attempt,
    maxAttempts: 3,
    launch: 'primary',
    inputUri: 'file:///tmp/in.json',
    inputSha256: 'x',
    outputUri: 'file:///tmp/out.json',
    idempotencyKey: null,
    createdAt: now,
    updatedAt: now,
    submittedAt: taskArn ? now : null,
    finishedAt: null,
    taskArn,
    capacityProvider: taskArn ? 'local' : null,
    failureReason: null,
    history: [],
    version: 1,
  };
}

const localTask = (instance: string) => `arn:local:ecs:task/${instance}/${randomUUID()}`;

describe('reconciling jobs left by a dead process', () => {
  const shared = useSharedRedis('reconcile');

  it('requeues or fails the running jobs of dead runners, re-sends waiting ones, and leaves the rest', async () => {
    // Prepare: one runner alive (its lease held), one dead, and this process's own.
    const redis = shared.redis();
    const prefix = shared.prefix();
    const store = new RedisJobStore(redis, prefix);
    const queue = new InProcessQueue();
    const live = new RunnerLease(redis, prefix, 'live-runner', 10_000);
    await live.start();
    const jobs = {
      deadRunning: job('running', localTask('dead-runner')),
      deadLastAttempt: job('running', localTask('dead-runner'), 3),
      liveRunning: job('running', localTask('live-runner')),
      ownRunning: job('running', localTask('own-runner')),
      onFargate: job('running', 'arn:aws:ecs:us-east-1:123456789012:task/cluster/abc'),
      queued: job('queued', null),
      submitting: job('submitting', null, 2),
      succeeded: job('succeeded', localTask('dead-runner')),
    };
    for (const j of Object.values(jobs)) await store.create(j);

    // Act
    const report = await reconcileJobs({
      redis,
      keyPrefix: prefix,
      jobs: store,
      queue,
      logger: silentLogger,
      ownInstance: 'own-runner',
    });
    const messages = (await queue.receive(20, 0)).map((m) => m.message);
    await live.release();
    queue.close();

    // Assess
    expect(report).toEqual({ unfinished: 7, resent: 2, requeued: 1, failed: 1 });
    const requeued = await store.get(jobs.deadRunning.id);
    expect(requeued).toMatchObject({ status: 'queued', attempt: 2, taskArn: null });
    expect(requeued?.history[0]?.reason).toContain('died');
    const failed = await store.get(jobs.deadLastAttempt.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.failureReason).toContain('gave up after 3 attempts');
    for (const untouched of [jobs.liveRunning, jobs.ownRunning, jobs.onFargate, jobs.succeeded]) {
      expect((await store.get(untouched.id))?.version).toBe(1);
    }
    expect(messages).toEqual(
      expect.arrayContaining([
        { jobId: jobs.deadRunning.id, attempt: 2 },
        { jobId: jobs.queued.id, attempt: 1 },
        { jobId: jobs.submitting.id, attempt: 2 },
      ]),
    );
    expect(messages).toHaveLength(3);
  });
});
