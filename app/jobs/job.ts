/** A simulation job as recorded, and the message that carries it through the queue. */

export const JOB_STATUSES = ['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * Which capacity an attempt is launched on: `primary` is the configured strategy (Fargate Spot
 * first), `fallback` the on-demand provider after Spot answered "Capacity is unavailable".
 */
export type Launch = 'primary' | 'fallback';

export interface Job {
  readonly id: string;
  readonly status: JobStatus;
  /** The current attempt, from 1; raised when a Spot interruption or failed start requeues the job. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly launch: Launch;
  readonly inputUri: string;
  readonly inputSha256: string;
  readonly outputUri: string;
  readonly idempotencyKey: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly submittedAt: string | null;
  readonly finishedAt: string | null;
  readonly taskArn: string | null;
  readonly capacityProvider: string | null;
  readonly failureReason: string | null;
  /** Why earlier attempts ended (Spot interruptions, failed starts). */
  readonly history: readonly { attempt: number; taskArn: string | null; reason: string }[];
  /** Raised by every write; stores compare it so concurrent writers never overwrite each other. */
  readonly version: number;
}

/** What the queue carries: the job and the attempt it was queued for (older attempts are stale). */
export interface JobMessage {
  readonly jobId: string;
  readonly attempt: number;
}

export function parseJobMessage(body: string): JobMessage | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (
      typeof value === 'object' &&
      value !== null &&
      'jobId' in value &&
      typeof value.jobId === 'string' &&
      'attempt' in value &&
      typeof value.attempt === 'number' &&
      Number.isInteger(value.attempt)
    ) {
      return { jobId: value.jobId, attempt: value.attempt };
    }
  } catch {
    // fall through: a malformed message is reported as undefined
  }
  return undefined;
}

/**
 * RunTask's clientToken (≤ 64 characters, idempotent for 24 h per cluster; ECS API reference,
 * RunTask): the job id and attempt, so a redelivered message finds the task it already started.
 * The on-demand fallback gets its own token because ECS answers ConflictException when one token
 * is reused with different parameters (another capacity provider strategy).
 */
export function clientTokenFor(job: Pick<Job, 'id' | 'attempt' | 'launch'>): string {
  return `${job.id}-a${job.attempt}${job.launch === 'fallback' ? '-od' : ''}`;
}
