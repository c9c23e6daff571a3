import type { Logger } from 'pino';
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './job-queue.js';
import type { JobStore } from './job-store.js';
import { parseStartedBy, type TaskStopped } from './task-runner.js';

export interface TaskEventsDeps {
  readonly jobs: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
}

export type TaskEventResult = 'succeeded' | 'failed' | 'requeued' | 'ignored';

/**
 * Stops that say nothing about the job itself: Spot reclaimed the capacity (a `SpotInterruption`
 * stop code, sent with the two-minute warning; ECS developer guide, "Fargate Spot"), the host
 * went away (`TerminationNotice`: task retirement on AWS, the embedded server shutting down
 * locally), or the task never started (image pull, ENI, capacity). Another attempt may well
 * succeed, and resumes from the checkpoint.
 */
const RETRYABLE_STOP_CODES = new Set(['SpotInterruption', 'TerminationNotice', 'TaskFailedToStart']);

export function describeStop(stopped: TaskStopped): string {
  const parts = [
    stopped.stopCode,
    stopped.stoppedReason,
    stopped.containerReason,
    stopped.exitCode === null ? null : `exit code ${stopped.exitCode}`,
  ].filter((p): p is string => Boolean(p));
  return parts.join(': ') || 'stopped without a reason';
}

/**
 * Applies a STOPPED task to its job: exit code 0 → succeeded (the result is at `outputUri`);
 * a Spot interruption or failed start → requeued as the next attempt while attempts remain, else
 * failed; any other stop → failed with its reason. Events for other attempts' tasks are ignored,
 * so duplicated or late events (EventBridge delivers at least once) change nothing.
 */
export async function applyTaskStopped(deps: TaskEventsDeps, stopped: TaskStopped): Promise<TaskEventResult> {
  const ref = parseStartedBy(stopped.startedBy);
  const jobId = ref?.jobId ?? stopped.jobId;
  if (!jobId) return 'ignored';
  const now = new Date().toISOString();
  const reason = describeStop(stopped);
  // Set inside the change function, which the store may run more than once.
  const decision: { result: TaskEventResult } = { result: 'ignored' };

  const updated = await deps.jobs.update(jobId, (j): Job | undefined => {
    decision.result = 'ignored';
    const alreadyRequeued =
      j.status === 'queued' &&
      j.history.at(-1)?.taskArn === stopped.taskArn &&
      j.history.at(-1)?.attempt === j.attempt - 1;
    if (alreadyRequeued) {
      // A repeated event after the queue send failed: send again (the pacer tolerates duplicates).
      decision.result = 'requeued';
      return undefined;
    }
    // Ours: the recorded task, or the task of the attempt being submitted (a stop can beat the record).
    const ours =
      j.taskArn === stopped.taskArn ||
      (j.taskArn === null && j.status === 'submitting' && ref !== undefined && ref.attempt === j.attempt);
    if (!ours || isTerminal(j.status)) return undefined;
    const base = { ...j, taskArn: stopped.taskArn };
    if (stopped.exitCode === 0) {
      decision.result = 'succeeded';
      return { ...base, status: 'succeeded', finishedAt: now, failureReason: null };
    }
    if (stopped.stopCode !== null && RETRYABLE_STOP_CODES.has(stopped.stopCode)) {
      if (j.attempt < j.maxAttempts) {
        decision.result = 'requeued';
        return {
          ...j,
          status: 'queued',
          attempt: j.attempt + 1,
          launch: 'primary',
          taskArn: null,
          capacityProvider: null,
          history: [...j.history, { attempt: j.attempt, taskArn: stopped.taskArn, reason }],
        };
      }
      decision.result = 'failed';
      return {
        ...base,
        status: 'failed',
        finishedAt: now,
        failureReason: `${reason} (gave up after ${j.attempt} attempts)`,
        history: [...j.history, { attempt: j.attempt, taskArn: stopped.taskArn, reason }],
      };
    }
    decision.result = 'failed';
    return { ...base, status: 'failed', finishedAt: now, failureReason: reason };
  });
  if (!updated) return 'ignored';
  const final = decision.result;
  if (final === 'requeued') {
    await deps.queue.send({ jobId, attempt: updated.job.attempt });
  }
  deps.logger.info({ jobId, taskArn: stopped.taskArn, result: final, reason }, 'task stopped');
  return final;
}

/** The `detail` of an EventBridge "ECS Task State Change" event, the fields used here. */
export interface EcsTaskStateChangeDetail {
  readonly taskArn?: string;
  readonly lastStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly startedBy?: string;
  readonly containers?: readonly { name?: string; exitCode?: number; reason?: string }[];
  readonly overrides?: {
    readonly containerOverrides?: readonly { environment?: readonly { name?: string; value?: string }[] }[];
  };
}

/** An ECS task state change detail → TaskStopped, or undefined while the task is not STOPPED. */
export function taskStoppedFromEcsDetail(
  detail: EcsTaskStateChangeDetail,
  containerName?: string,
): TaskStopped | undefined {
  if (detail.lastStatus !== 'STOPPED' || !detail.taskArn) return undefined;
  const containers = detail.containers ?? [];
  const container = containers.find((c) => c.name === containerName) ?? containers[0];
  const jobId =
    detail.overrides?.containerOverrides?.flatMap((o) => o.environment ?? []).find((e) => e.name === 'JOB_ID')
      ?.value ?? null;
  return {
    taskArn: detail.taskArn,
    startedBy: detail.startedBy ?? null,
    jobId,
    stopCode: detail.stopCode ?? null,
    stoppedReason: detail.stoppedReason ?? null,
    exitCode: typeof container?.exitCode === 'number' ? container.exitCode : null,
    containerReason: container?.reason ?? null,
  };
}
