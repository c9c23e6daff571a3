import { afterEach, describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../app/jobs/job.js';
import { PrivateRedis, sharedRedisUrl } from '../helpers/redis-server.js';
import { JobsHarness, waitFor } from './support/harness.js';

/**
 * The pacer against the local ECS server (real SDK client, AWS's documented limits) with records
 * and the bucket in Redis. Every test asserts the two invariants: no job lost (each ends in the
 * expected state) and none run twice (each client token launched at most one task).
 */

let harness: JobsHarness | undefined;
let durable: PrivateRedis | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await durable?.destroy();
  durable = undefined;
});

function expectOneTaskPerToken(h: JobsHarness): void {
  const byToken = new Map<string, number>();
  for (const task of h.ecs.tasks.values()) {
    const token = task.clientToken ?? '(none)';
    byToken.set(token, (byToken.get(token) ?? 0) + 1);
  }
  expect([...byToken.values()].filter((n) => n > 1)).toEqual([]);
  expect(byToken.has('(none)')).toBe(false);
}

describe('pacer against the local ECS server', () => {
  it('backs off on ThrottlingException and still submits every job exactly once', async () => {
    // Prepare: ECS allows far less than the pacer's bucket, so throttling is certain.
    harness = await JobsHarness.start({
      redisUrl: sharedRedisUrl(),
      ecs: { runTaskBucket: { capacity: 3, perSecond: 10 } },
    });
    const jobs = await harness.submit(25);

    // Act
    harness.startPacers(2);
    const h = harness;
    await waitFor(
      async () => (await h.jobs(jobs.map((j) => j.id))).every((j) => j.status === 'running'),
      25_000,
      'all running',
    );

    // Assess
    expect(h.ecs.calls.some((c) => c.outcome === 'throttled')).toBe(true);
    expect(h.tasksPerJob().size).toBe(25);
    expect([...h.tasksPerJob().values()].every((n) => n === 1)).toBe(true);
    expectOneTaskPerToken(h);
    for (const job of await h.jobs(jobs.map((j) => j.id))) {
      expect(job.taskArn).toBe(h.ecs.tasksForToken(clientTokenFor(job))[0]?.taskArn);
    }
  });

  it('falls back to on-demand FARGATE when Spot has no capacity', async () => {
    harness = await JobsHarness.start({ redisUrl: sharedRedisUrl() });
    harness.ecs.failSpotCapacity(3);
    const jobs = await harness.submit(3);

    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.jobs(jobs.map((j) => j.id))).every((j) => j.status === 'running'));

    const final = await h.jobs(jobs.map((j) => j.id));
    expect(final.map((j) => j.capacityProvider)).toEqual(['FARGATE', 'FARGATE', 'FARGATE']);
    expect(final.every((j) => j.launch === 'fallback')).toBe(true);
    expect(h.ecs.calls.filter((c) => c.outcome === 'capacity-unavailable')).toHaveLength(3);
    expect([...h.tasksPerJob().values()]).toEqual([1, 1, 1]);
    expectOneTaskPerToken(h);
  });

  it('requeues a job after a Spot interruption and lets the next attempt succeed', async () => {
    harness = await JobsHarness.start({ redisUrl: sharedRedisUrl() });
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'running');
    const first = await h.store.get(job.id);

    // Act: Spot takes the capacity back, then the second attempt's task exits 0.
    h.ecs.interrupt(first?.taskArn ?? '');
    await waitFor(async () => {
      const j = await h.store.get(job.id);
      return j?.status === 'running' && j.attempt === 2;
    });
    const second = await h.store.get(job.id);
    h.ecs.stop(second?.taskArn ?? '', { exitCode: 0 });
    await waitFor(async () => (await h.store.get(job.id))?.status === 'succeeded');

    // Assess
    const final = await h.store.get(job.id);
    expect(final?.attempt).toBe(2);
    expect(final?.history).toHaveLength(1);
    expect(final?.history[0]?.reason).toContain('SpotInterruption');
    expect(final?.taskArn).not.toBe(first?.taskArn);
    expect(h.tasksPerJob().get(job.id)).toBe(2);
    // The two attempts never overlapped: the first was STOPPED before the second started.
    expect(h.ecs.tasks.get(first?.taskArn ?? '')?.lastStatus).toBe('STOPPED');
    expectOneTaskPerToken(h);
  });

  it('ends a job whose task keeps failing to start as failed, with the reason, after the attempt limit', async () => {
    harness = await JobsHarness.start({
      redisUrl: sharedRedisUrl(),
      maxAttempts: 3,
      ecs: {
        ending: () => ({
          afterMs: 20,
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
          exitCode: null,
        }),
      },
    });
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'failed');

    const final = await h.store.get(job.id);
    expect(final?.attempt).toBe(3);
    expect(final?.failureReason).toContain('CannotPullContainerError');
    expect(final?.failureReason).toContain('after 3 attempts');
    expect(h.tasksPerJob().get(job.id)).toBe(3);
    expectOneTaskPerToken(h);
  });

  it('fails a job at once when its program exits non-zero, keeping the reason', async () => {
    harness = await JobsHarness.start({
      redisUrl: sharedRedisUrl(),
      ecs: { ending: () => ({ afterMs: 20, exitCode: 2, containerReason: 'invalid input' }) },
    });
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'failed');

    const final = await h.store.get(job.id);
    expect(final?.attempt).toBe(1);
    expect(final?.failureReason).toContain('exit code 2');
    expect(final?.failureReason).toContain('invalid input');
  });

  it('records the task a ConflictException names instead of launching another', async () => {
    // Prepare: the attempt's client token already started a task, with other parameters.
    harness = await JobsHarness.start({ redisUrl: sharedRedisUrl() });
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    const earlier = await harness.runner.launch({
      jobId: job.id,
      attempt: 1,
      launch: 'fallback',
      clientToken: clientTokenFor(job),
      environment: { JOB_ID: job.id, INPUT_URI: job.inputUri, OUTPUT_URI: job.outputUri },
    });
    if (earlier.kind !== 'started') throw new Error('setup launch failed');

    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'running');

    expect(h.ecs.calls.map((c) => c.outcome)).toEqual(['started', 'conflict']);
    expect((await h.store.get(job.id))?.taskArn).toBe(earlier.taskArn);
    expect(h.tasksPerJob().get(job.id)).toBe(1);
  });

  it('fails a job RunTask rejects outright, with the reason, without retrying', async () => {
    harness = await JobsHarness.start({ redisUrl: sharedRedisUrl() });
    harness.ecs.rejectRunTask = {
      type: 'InvalidParameterException',
      message: 'No Container Instances were found in your cluster.',
    };
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');

    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'failed');

    const final = await h.store.get(job.id);
    expect(final?.failureReason).toContain('InvalidParameterException');
    expect(h.ecs.calls).toHaveLength(1);
    expect(h.ecs.tasks.size).toBe(0);
  });

  it('cancels a running job by stopping its task, and the stop does not requeue it', async () => {
    harness = await JobsHarness.start({ redisUrl: sharedRedisUrl() });
    const [job] = await harness.submit(1);
    if (!job) throw new Error('no job');
    harness.startPacers(1);
    const h = harness;
    await waitFor(async () => (await h.store.get(job.id))?.status === 'running');

    const result = await h.service.cancel(job.id);

    expect(result.kind).toBe('cancelled');
    const taskArn = (await h.store.get(job.id))?.taskArn ?? '';
    await waitFor(() => h.ecs.tasks.get(taskArn)?.lastStatus === 'STOPPED');
    expect(h.ecs.tasks.get(taskArn)?.stopCode).toBe('UserInitiated');
    expect((await h.store.get(job.id))?.status).toBe('cancelled');
    expect(h.tasksPerJob().get(job.id)).toBe(1);
  });

  it('loses no job and runs none twice when Redis restarts mid-drain', async () => {
    // Prepare
    durable = await PrivateRedis.start({ durable: true });
    harness = await JobsHarness.start({ redisUrl: durable.url });
    const jobs = await harness.submit(60);
    const h = harness;
    const redis = durable;

    // Act: drain, and take Redis away once a quarter of the jobs have tasks.
    h.startPacers(2);
    await waitFor(() => h.ecs.tasks.size >= 15, 20_000, '15 tasks');
    await redis.stop();
    const launchedDuringOutage = h.ecs.tasks.size;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Fail closed: no token, no RunTask (at most the calls already in flight when Redis died).
    expect(h.ecs.tasks.size - launchedDuringOutage).toBeLessThanOrEqual(8);
    await redis.start();
    await waitFor(
      // Until the client has reconnected its commands fail at once (no offline queue): not yet.
      async () =>
        (await h.jobs(jobs.map((j) => j.id)).catch(() => undefined))?.every((j) => j.status === 'running') ??
        false,
      30_000,
      'all running after the restart',
    );

    // Assess
    const final = await h.jobs(jobs.map((j) => j.id));
    expect(final.filter((j) => j.status !== 'running')).toEqual([]);
    expect(h.tasksPerJob().size).toBe(60);
    expect([...h.tasksPerJob().values()].every((n) => n === 1)).toBe(true);
    expectOneTaskPerToken(h);
    for (const job of final) expect(job.taskArn).toBe(h.ecs.tasksForToken(clientTokenFor(job))[0]?.taskArn);
  });
});
