import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { clientTokenFor, isTerminal, type Job, type JobMessage } from './job.js';
import type { JobStore } from './job-store.js';
import type { LaunchOutcome, TaskRunner } from './task-runner.js';
import { type TokenBucket, takeToken } from './token-bucket.js';

export interface PacerDeps {
  readonly jobs: JobStore;
  readonly runner: TaskRunner;
  /** The global RunTask bucket: every launch attempt takes one token first. */
  readonly bucket: TokenBucket;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Aborted when this process starts draining: nothing more is launched, messages go back. */
  readonly signal?: AbortSignal;
}

/** `ack`: the message is done with (submitted, or nothing left to do); otherwise it goes back. */
export type SubmitOutcome =
  | { readonly ack: true; readonly result: 'submitted' | 'skipped' | 'failed' }
  | { readonly ack: false; readonly retryAfterSeconds: number; readonly reason: string };

const MAX_TRANSIENT_ERRORS = 3;
/** On-demand had no capacity either: let the message rest before trying again. */
const NO_CAPACITY_RETRY_SECONDS = 5;

/**
 * Submits one queued job: claims it, takes a token from the global bucket, calls RunTask with the
 * attempt's client token, and records the task. Throttling backs off with full jitter and tries
 * again (with a new token); "Capacity is unavailable" on Spot switches the attempt to on-demand
 * (recorded first, so a redelivered message uses the same token). The message may be acked only
 * when this returns `ack: true`, i.e. after the task is recorded.
 */
export async function submitJob(
  deps: PacerDeps,
  message: JobMessage,
  deadline: number,
): Promise<SubmitOutcome> {
  try {
    return await submit(deps, message, deadline);
  } catch (error) {
    deps.logger.warn(
      { err: error, jobId: message.jobId },
      'pacer: submission interrupted; message goes back',
    );
    return {
      ack: false,
      retryAfterSeconds: 1 + Math.round((deps.random ?? Math.random)() * 2),
      reason: String(error),
    };
  }
}

async function submit(deps: PacerDeps, message: JobMessage, deadline: number): Promise<SubmitOutcome> {
  const random = deps.random ?? Math.random;
  if (deps.signal?.aborted) return { ack: false, retryAfterSeconds: 0, reason: 'shutting down' };
  const log = deps.logger.child({ jobId: message.jobId, attempt: message.attempt });
  const found = await deps.jobs.get(message.jobId);
  const skip = (why: string): SubmitOutcome => {
    log.info({ why }, 'pacer: nothing to submit');
    return { ack: true, result: 'skipped' };
  };
  if (!found) return skip('unknown job');
  if (found.attempt !== message.attempt) return skip('message for an earlier attempt');
  if (isTerminal(found.status)) return skip(`job is ${found.status}`);
  if (found.status === 'running') return skip('task already recorded');

  const claimed = await deps.jobs.update(message.jobId, (j) =>
    j.status === 'queued' && j.attempt === message.attempt ? { ...j, status: 'submitting' } : undefined,
  );
  // Another pacer holding the same message (at-least-once delivery) is harmless: same client token.
  let job = claimed?.job;
  if (!job || job.attempt !== message.attempt || job.status !== 'submitting')
    return skip('job changed before it could be claimed');

  let throttled = 0;
  let errors = 0;
  for (;;) {
    // A task launched now would be stopped by the shutdown at once; the next process launches it.
    if (deps.signal?.aborted) return { ack: false, retryAfterSeconds: 0, reason: 'shutting down' };
    if (!(await takeToken(deps.bucket, deadline, random))) {
      return { ack: false, retryAfterSeconds: 1, reason: 'no RunTask token before the deadline' };
    }
    const outcome = await deps.runner.launch({
      jobId: job.id,
      attempt: job.attempt,
      launch: job.launch,
      clientToken: clientTokenFor(job),
      environment: { JOB_ID: job.id, INPUT_URI: job.inputUri, OUTPUT_URI: job.outputUri },
    });
    switch (outcome.kind) {
      case 'started':
        return record(deps, job, outcome, log);
      case 'throttled': {
        throttled += 1;
        // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
        const backoff = Math.floor(random() * Math.min(5_000, 100 * 2 ** throttled));
        log.warn({ throttled, backoffMs: backoff }, 'pacer: RunTask throttled');
        if (Date.now() + backoff > deadline)
          return { ack: false, retryAfterSeconds: 2, reason: outcome.reason };
        await sleep(backoff);
        break;
      }
      case 'capacity-unavailable': {
        if (job.launch === 'fallback') {
          log.warn({ reason: outcome.reason }, 'pacer: no on-demand capacity either');
          return { ack: false, retryAfterSeconds: NO_CAPACITY_RETRY_SECONDS, reason: outcome.reason };
        }
        log.info({ reason: outcome.reason }, 'pacer: Spot capacity unavailable; falling back to on-demand');
        const current = job;
        const switched = await deps.jobs.update(current.id, (j) =>
          j.attempt === current.attempt && j.status === 'submitting' && j.launch === 'primary'
            ? { ...j, launch: 'fallback' }
            : undefined,
        );
        if (switched?.job.status !== 'submitting' || switched.job.attempt !== current.attempt) {
          return skip('job changed while falling back');
        }
        job = switched.job;
        break;
      }
      case 'rejected': {
        const current = job;
        await deps.jobs.update(current.id, (j) =>
          j.attempt === current.attempt && !isTerminal(j.status)
            ? {
                ...j,
                status: 'failed',
                failureReason: `RunTask rejected the task: ${outcome.reason}`,
                finishedAt: new Date().toISOString(),
              }
            : undefined,
        );
        log.error({ reason: outcome.reason }, 'pacer: RunTask rejected the job');
        return { ack: true, result: 'failed' };
      }
      case 'error': {
        errors += 1;
        log.warn({ reason: outcome.reason, errors }, 'pacer: RunTask failed');
        if (errors >= MAX_TRANSIENT_ERRORS)
          return { ack: false, retryAfterSeconds: 5, reason: outcome.reason };
        await sleep(Math.floor(random() * 200 * 2 ** errors));
        break;
      }
    }
  }
}

/** Records the started task; a job cancelled meanwhile, or already holding another task, gets ours stopped. */
async function record(
  deps: PacerDeps,
  job: Job,
  outcome: Extract<LaunchOutcome, { kind: 'started' }>,
  log: Logger,
): Promise<SubmitOutcome> {
  const now = new Date().toISOString();
  const result = await deps.jobs.update(job.id, (j) => {
    if (j.attempt !== job.attempt || j.taskArn !== null) return undefined;
    if (j.status !== 'submitting' && j.status !== 'queued') return undefined;
    return {
      ...j,
      status: 'running',
      taskArn: outcome.taskArn,
      capacityProvider: outcome.capacityProvider ?? j.capacityProvider,
      submittedAt: now,
    };
  });
  const recorded = result?.job;
  if (recorded?.taskArn === outcome.taskArn) {
    log.info({ taskArn: outcome.taskArn, existing: outcome.existing }, 'pacer: task recorded');
    return { ack: true, result: 'submitted' };
  }
  // Cancelled while we launched, gone, or another launch of this attempt won: ours must not run.
  log.warn({ taskArn: outcome.taskArn, status: recorded?.status }, 'pacer: task not wanted; stopping it');
  await deps.runner.stop(outcome.taskArn, 'Not wanted: job cancelled or already running elsewhere');
  return { ack: true, result: 'skipped' };
}
