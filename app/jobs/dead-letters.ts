import type { Logger } from 'pino';
import { isTerminal, type JobMessage } from './job.js';
import type { JobStore } from './job-store.js';

export interface DeadLettersDeps {
  readonly jobs: JobStore;
  readonly logger: Logger;
}

export type DeadLetterResult = 'failed' | 'ignored';

/**
 * A job message the queue moved to its dead-letter queue: every delivery failed (the redrive
 * policy's maxReceiveCount was reached). Nothing reads the message again, so a job still waiting
 * for it (queued, or claimed but never launched) would stay that way forever: it is marked failed
 * with the reason. A job that moved on (a task recorded, a later attempt, an end) is left alone.
 */
export async function applyDeadLetter(
  deps: DeadLettersDeps,
  message: JobMessage,
  receiveCount: number,
): Promise<DeadLetterResult> {
  const now = new Date().toISOString();
  const reason =
    'The job could not be submitted: every delivery of its queue message failed and it was dead-lettered';
  const updated = await deps.jobs.update(message.jobId, (j) => {
    const waiting = (j.status === 'queued' || j.status === 'submitting') && j.taskArn === null;
    if (isTerminal(j.status) || j.attempt !== message.attempt || !waiting) return undefined;
    return { ...j, status: 'failed', failureReason: reason, finishedAt: now };
  });
  const result: DeadLetterResult = updated?.changed ? 'failed' : 'ignored';
  deps.logger.warn(
    { jobId: message.jobId, attempt: message.attempt, receiveCount, result },
    'dead-lettered job message',
  );
  return result;
}
