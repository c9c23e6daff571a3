import type { Launch } from './job.js';

/** The contract between the pacer and whatever runs a simulation: a Fargate task or a child process. */
export interface TaskLaunch {
  readonly jobId: string;
  readonly attempt: number;
  readonly launch: Launch;
  /** Idempotency: the same token never starts a second task (see clientTokenFor). */
  readonly clientToken: string;
  /** The program's whole input: `JOB_ID`, `INPUT_URI`, `OUTPUT_URI`. */
  readonly environment: { readonly JOB_ID: string; readonly INPUT_URI: string; readonly OUTPUT_URI: string };
}

export type LaunchOutcome =
  /** `existing`: the token had already started this task (a redelivered message, a lost answer). */
  | {
      readonly kind: 'started';
      readonly taskArn: string;
      readonly capacityProvider: string | null;
      readonly existing: boolean;
    }
  | { readonly kind: 'throttled'; readonly reason: string }
  /** RunTask answered 200 with `failures[]` "Capacity is unavailable…". */
  | { readonly kind: 'capacity-unavailable'; readonly reason: string }
  /** Retrying the same call cannot help (bad parameters, missing task definition, access denied). */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** Anything transient: network errors, 5xx, unexpected failures. */
  | { readonly kind: 'error'; readonly reason: string };

export interface TaskRunner {
  launch(request: TaskLaunch): Promise<LaunchOutcome>;
  stop(taskArn: string, reason: string): Promise<void>;
}

/** StopTask's reason for a job the client cancelled; the task's STOPPED event carries it back. */
export const CANCEL_STOP_REASON = 'Cancelled by the client';

/** A task that stopped, as the task-events handler needs it, whichever runner ran it. */
export interface TaskStopped {
  readonly taskArn: string;
  /** The launch's client token (RunTask `startedBy`), which names the job and attempt. */
  readonly startedBy: string | null;
  /** From the task's environment override, when the event carries it. */
  readonly jobId: string | null;
  /** ECS `stopCode`: `EssentialContainerExited`, `SpotInterruption`, `TaskFailedToStart`, `UserInitiated`… */
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  /** The essential container's exit code; null when it never ran or was killed without one. */
  readonly exitCode: number | null;
  readonly containerReason: string | null;
}

/** Job id and attempt back from a client token / startedBy value. */
export function parseStartedBy(value: string | null): { jobId: string; attempt: number } | undefined {
  const match = value ? /^(.+)-a(\d+)(?:-od)?$/.exec(value) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { jobId: match[1], attempt: Number(match[2]) };
}
