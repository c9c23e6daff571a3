import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './job-queue.js';
import type { JobStore } from './job-store.js';
import { localTaskInstance } from './local-task-runner.js';
import { RunnerLease } from './runner-lease.js';

export interface ReconcileDeps {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly jobs: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /**
   * This process's runner: its tasks are alive whatever its lease says (the lease may have lapsed
   * while Redis was unreachable), so they are never taken over from here.
   */
  readonly ownInstance?: string;
}

export interface ReconcileReport {
  /** Unfinished jobs looked at. */
  readonly unfinished: number;
  /** `queued`/`submitting` jobs whose message was sent again (a no-op when it is still queued). */
  readonly resent: number;
  /** `running` jobs of a dead runner, queued again as their next attempt (resuming from checkpoint). */
  readonly requeued: number;
  /** `running` jobs of a dead runner with no attempt left. */
  readonly failed: number;
}

/**
 * Finds the embedded jobs a dead process left unfinished and sets each on its way again:
 * - `queued` / `submitting`: the message is sent again. The durable queue keeps one message per
 *   attempt, so this only matters when the message was lost (sent after the record, by a process
 *   that died in between); the pacer's claim makes a duplicate harmless either way.
 * - `running` on a local task whose runner holds no lease: that runner's process is gone, so
 *   nothing will ever report the stop. The job is queued as its next attempt, which resumes from
 *   the checkpoint, or failed with the reason when no attempt is left. Its simulation should have
 *   died with its server; one that has not (slow, frozen) is waited for by the launch of the
 *   next attempt (attempt-lock.ts), so the lease is not what keeps a job from running twice.
 * Records are found with SCAN (never KEYS): this runs in the embedded mode only, at start and
 * then once per lease, over a few jobs at a time.
 */
export async function reconcileJobs(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report = { unfinished: 0, resent: 0, requeued: 0, failed: 0 };
  const livenessOf = new Map<string, boolean>();
  const alive = async (instance: string): Promise<boolean> => {
    let held = livenessOf.get(instance);
    if (held === undefined) {
      held = await RunnerLease.isHeld(deps.redis, deps.keyPrefix, instance);
      livenessOf.set(instance, held);
    }
    return held;
  };
  const pattern = `${deps.keyPrefix}job:*`;
  let cursor = '0';
  do {
    const [next, keys] = await deps.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    cursor = next;
    for (const key of keys) {
      const jobId = key.slice(deps.keyPrefix.length + 'job:'.length);
      const job = await deps.jobs.get(jobId);
      if (!job || isTerminal(job.status)) continue;
      report.unfinished += 1;
      if (job.status === 'queued' || job.status === 'submitting') {
        await deps.queue.send({ jobId, attempt: job.attempt });
        report.resent += 1;
        continue;
      }
      const instance = job.taskArn ? localTaskInstance(job.taskArn) : undefined;
      if (!instance || instance === deps.ownInstance || (await alive(instance))) continue;
      const outcome = await takeOver(deps, job);
      if (outcome === 'requeued') report.requeued += 1;
      if (outcome === 'failed') report.failed += 1;
    }
  } while (cursor !== '0');
  if (report.requeued + report.failed > 0)
    deps.logger.info(report, 'jobs: reconciled jobs left by a dead process');
  return report;
}

async function takeOver(deps: ReconcileDeps, stranded: Job): Promise<'requeued' | 'failed' | 'changed'> {
  const reason = `TerminationNotice: the server running task ${stranded.taskArn} died`;
  const now = new Date().toISOString();
  const decision: { outcome: 'requeued' | 'failed' | 'changed' } = { outcome: 'changed' };
  const updated = await deps.jobs.update(stranded.id, (j): Job | undefined => {
    decision.outcome = 'changed';
    // Only the record as it was found: a stop recorded meanwhile wins.
    if (j.status !== 'running' || j.taskArn !== stranded.taskArn || j.attempt !== stranded.attempt)
      return undefined;
    const history = [...j.history, { attempt: j.attempt, taskArn: j.taskArn, reason }];
    if (j.attempt >= j.maxAttempts) {
      decision.outcome = 'failed';
      return {
        ...j,
        status: 'failed',
        finishedAt: now,
        failureReason: `${reason} (gave up after ${j.attempt} attempts)`,
        history,
      };
    }
    decision.outcome = 'requeued';
    return {
      ...j,
      status: 'queued',
      attempt: j.attempt + 1,
      launch: 'primary',
      taskArn: null,
      capacityProvider: null,
      history,
    };
  });
  if (updated?.changed && decision.outcome === 'requeued') {
    await deps.queue.send({ jobId: stranded.id, attempt: updated.job.attempt });
  }
  deps.logger.info(
    { jobId: stranded.id, taskArn: stranded.taskArn, outcome: decision.outcome },
    'jobs: took over a stranded job',
  );
  return updated?.changed ? decision.outcome : 'changed';
}
