import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../app/jobs/job.js';
import { sharedRedisUrl } from '../helpers/redis-server.js';
import { sampleInput, waitFor } from '../jobs/support/harness.js';
import { LocalAws } from './support/local-aws.js';

/**
 * A simulation job end to end on the AWS parts of the dev stack, every call made with the real
 * SDK clients under the role the stack gives its caller and checked against that role's policies:
 * POST /simulations on the API (API task role) → input in S3 → record in Redis → SQS → pacer
 * (its role, through the event source mapping) → RunTask on the local ECS, which runs the real
 * simulation program with the simulation task role → result in S3 → task state change →
 * EventBridge rule → task-events (its role) → succeeded → result readable.
 */

let aws: LocalAws;

/** The job as `GET /simulations/:id` shows it (the fields used here). */
interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly taskArn: string | null;
  readonly failureReason: string | null;
  readonly history: readonly { attempt: number; reason: string }[];
  readonly result: { readonly href: string } | null;
}

beforeAll(async () => {
  aws = await LocalAws.start({ redisUrl: sharedRedisUrl() });
  await Promise.all([aws.startApi(), aws.startFunctions()]);
  aws.startEventSources();
}, 180_000);

afterAll(async () => {
  await aws?.stop();
});

async function post(body: unknown, headers: Record<string, string> = {}): Promise<JobView> {
  const response = await fetch(`${aws.apiUrl}/simulations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as JobView;
}

async function get(id: string): Promise<JobView> {
  const response = await fetch(`${aws.apiUrl}/simulations/${id}`);
  return (await response.json()) as JobView;
}

async function untilStatus(id: string, statuses: readonly string[], timeoutMs = 40_000): Promise<JobView> {
  let last: JobView | undefined;
  await waitFor(
    async () => {
      last = await get(id);
      if (statuses.includes(last.status)) return true;
      await sleep(150);
      return false;
    },
    timeoutMs,
    `job ${id} to be ${statuses.join(' or ')}`,
  ).catch((error: unknown) => {
    throw new Error(
      `${String(error)}; last: ${JSON.stringify(last)}; denied: ${aws.iam.denied().join('; ')}; events: ${aws.eventErrors.join('; ')}; sources: ${aws.eventSources.flatMap((s) => s.errors).join('; ')}; containers: ${aws.containerLogs.join('\n')}`,
    );
  });
  return last as JobView;
}

/**
 * The result as a client reads it: the job's `result.href`, the API's result route, which reads
 * S3 under the API task role.
 */
async function readResult(job: JobView): Promise<unknown> {
  if (!job.result) return undefined;
  const response = await fetch(new URL(job.result.href, aws.apiUrl));
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as unknown;
}

/** The job's objects in S3, by name under its prefix (`simulations/jobs/<id>/`). */
function objectsOf(job: Pick<JobView, 'id'>): string[] {
  const marker = `/simulations/jobs/${job.id}/`;
  return [...aws.s3.objects.keys()].flatMap((k) =>
    k.includes(marker) ? [k.slice(k.indexOf(marker) + marker.length)] : [],
  );
}

describe('a simulation job on the AWS parts, every call under its caller’s role', () => {
  it('runs POST /simulations to succeeded and leaves the result readable, with no call denied', async () => {
    // Prepare / Act
    const created = await post(sampleInput);
    const done = await untilStatus(created.id, ['succeeded', 'failed']);

    // Assess
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const result = (await readResult(await get(created.id))) as {
      jobId: string;
      result: { landed: boolean };
    };
    expect(result.jobId).toBe(created.id);
    expect(result.result.landed).toBe(true);
    expect(aws.iam.calls).toContainEqual(
      expect.objectContaining({
        role: expect.stringMatching(/-api-task$/),
        action: 's3:GetObject',
        allowed: true,
      }),
    );
    // Input and result stay; the checkpoint is gone.
    expect(objectsOf(done).sort()).toEqual(['input.json', 'result.json']);
    expect(aws.iam.denied()).toEqual([]);
    // Each part called AWS with its own role (task-events last: it deletes the checkpoint, if any).
    await waitFor(() => aws.iam.calls.some((c) => c.role.endsWith('-task-events')), 10_000, 'task-events');
    const roles = new Set(aws.iam.calls.map((c) => c.role));
    expect([...roles].sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/-api-task$/),
        expect.stringMatching(/-pacer$/),
        expect.stringMatching(/-simulation-task$/),
        expect.stringMatching(/-task-events$/),
      ]),
    );
  });

  it('answers 404 result_not_found, not a 500, once the bucket lifecycle expired a result', async () => {
    // Prepare: a succeeded job whose result object is gone, as the lifecycle rule's expiration
    // removes it (infra/constructs/jobs-storage.ts) while the job record stays.
    const created = await post(sampleInput);
    const done = await untilStatus(created.id, ['succeeded', 'failed']);
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const resultKey = [...aws.s3.objects.keys()].find((k) =>
      k.endsWith(`/simulations/jobs/${created.id}/result.json`),
    );
    aws.s3.objects.delete(resultKey ?? '');

    // Act
    const response = await fetch(new URL(done.result?.href ?? '', aws.apiUrl));

    // Assess: S3 says NoSuchKey only to a role allowed to list the prefix; AccessDenied would be a 500.
    expect(response.status, await response.clone().text()).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('result_not_found');
    expect(aws.iam.denied()).toEqual([]);
  });

  it('answers a repeated Idempotency-Key with the first job and removes the input it stored again', async () => {
    // Prepare
    const inputs = () => [...aws.s3.objects.keys()].filter((k) => k.endsWith('/input.json')).length;
    const key = { 'idempotency-key': `e2e-${Date.now()}` };
    const first = await post(sampleInput, key);
    const before = inputs();

    // Act
    const again = await post(sampleInput, key);

    // Assess
    expect(again.id).toBe(first.id);
    expect(inputs()).toBe(before);
    expect(aws.iam.denied()).toEqual([]);
    await untilStatus(first.id, ['succeeded', 'failed']);
  });

  it('stops the running task of a cancelled job, and leaves no checkpoint behind', async () => {
    // Prepare: a run long enough to cancel mid-way (several seconds of integration).
    const created = await post({ ...sampleInput, speedMS: 60, timeStepS: 2e-6, maxTimeS: 20 });
    await untilStatus(created.id, ['running']);
    await waitFor(() => objectsOf(created).includes('result.json.checkpoint.json'), 20_000, 'a checkpoint');

    // Act
    const response = await fetch(`${aws.apiUrl}/simulations/${created.id}`, { method: 'DELETE' });

    // Assess: the task really stopped (its process exited), and the job says cancelled.
    expect(response.status, await response.clone().text()).toBe(200);
    const job = await get(created.id);
    expect(job.status).toBe('cancelled');
    const task = aws.ecs.tasks.get(job.taskArn ?? '');
    await waitFor(() => task?.lastStatus === 'STOPPED', 10_000, 'the task to stop');
    expect(task?.stopCode).toBe('UserInitiated');
    await waitFor(
      () => !objectsOf(created).includes('result.json.checkpoint.json'),
      10_000,
      'checkpoint cleanup',
    );
    expect(objectsOf(created)).toEqual(['input.json']);
    expect((await get(created.id)).status).toBe('cancelled');
    expect(aws.iam.denied()).toEqual([]);
  }, 60_000);

  it('requeues a job after a Spot interruption; the next attempt resumes from the checkpoint', async () => {
    // Prepare
    const created = await post({ ...sampleInput, speedMS: 60, timeStepS: 2e-6, maxTimeS: 20 });
    const running = await untilStatus(created.id, ['running']);
    await waitFor(() => objectsOf(created).includes('result.json.checkpoint.json'), 20_000, 'a checkpoint');

    // Act: Spot reclaims the capacity (SIGTERM to the container, then STOPPED with SpotInterruption).
    aws.ecs.interrupt(running.taskArn ?? '');
    const done = await untilStatus(created.id, ['succeeded', 'failed']);

    // Assess
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.history[0]?.reason).toMatch(/SpotInterruption/);
    expect(aws.containerLogs.join('\n')).toMatch(new RegExp(`resuming from checkpoint.*${created.id}`));
    expect(objectsOf(done).sort()).toEqual(['input.json', 'result.json']);
    expect(aws.iam.denied()).toEqual([]);
  }, 90_000);
});
